package config

import (
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// The schema: which keys each table of the file may hold and which TOML
// kinds their values may have. It drives the check for unknown keys and
// wrong types (index.go) and the fixes those errors suggest.

// valueType is what a key of the schema holds.
type valueType int

const (
	typeString   valueType = iota // a string
	typeInteger                   // an integer
	typeStrings                   // an array of strings
	typeDuration                  // a duration string or an integer of seconds
	typeTable                     // one table: [interface]
	typeTables                    // an array of tables: [[peer]]
)

// field describes one key of a table.
type field struct {
	name    string
	typ     valueType
	example string // a line of TOML with a good value, for fixes
}

// tables maps the generic path of every table of the schema (indices
// dropped: "peer" for peer[2]) to its keys, in the order of the example file.
var tables = map[string][]field{
	"": {
		{"interface", typeTable, "[interface]"},
		{"peer", typeTables, "[[peer]]"},
	},
	"interface": {
		{"name", typeString, `name = "stt0"`},
		{"private_key_file", typeString, `private_key_file = "/etc/stt-tun/private.key"`},
		{"private_key", typeString, `private_key = "<output of stt-tun genkey>"`},
		{"shared_seed_file", typeString, `shared_seed_file = "/etc/stt-tun/network.seed"`},
		{"shared_seed", typeString, `shared_seed = "<output of stt-tun genseed>"`},
		{"address", typeStrings, `address = ["10.77.0.1/24", "fd77::1/64"]`},
		{"listen_port", typeInteger, `listen_port = 51820`},
		{"mtu", typeInteger, `mtu = 1419`},
		{"txqueuelen", typeInteger, `txqueuelen = 4000`},
		{"scheduling", typeString, `scheduling = "batch"`},
		{"control_socket", typeString, `control_socket = "/run/stt-tun/stt0.sock"`},
		{"log_level", typeString, `log_level = "info"`},
		{"metrics_address", typeString, `metrics_address = "127.0.0.1:9586"`},
	},
	"peer": {
		{"name", typeString, `name = "beta"`},
		{"public_key", typeString, `public_key = "<output of stt-tun pubkey on that host>"`},
		{"endpoint", typeString, `endpoint = "198.51.100.7:51820"`},
		{"allowed_ips", typeStrings, `allowed_ips = ["10.77.0.2/32"]`},
		{"persistent_keepalive", typeDuration, `persistent_keepalive = "25s"`},
	},
}

// lookupField returns the field name of the table with generic path table.
func lookupField(table, name string) (field, bool) {
	for _, f := range tables[table] {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// accepts reports whether a value of kind k may stand for a value of type t
// (elem: k is the kind of one element of an array).
func (t valueType) accepts(k unstable.Kind, elem bool) bool {
	if elem {
		switch t {
		case typeStrings:
			return k == unstable.String
		case typeTables:
			return k == unstable.ArrayTable || k == unstable.InlineTable
		}
		return false
	}
	switch t {
	case typeString:
		return k == unstable.String
	case typeInteger:
		return k == unstable.Integer
	case typeStrings:
		return k == unstable.Array
	case typeDuration:
		return k == unstable.String || k == unstable.Integer
	case typeTable:
		return k == unstable.Table || k == unstable.InlineTable
	case typeTables:
		return k == unstable.ArrayTable || k == unstable.Array
	}
	return false
}

// want describes the value type t requires, for messages.
func (t valueType) want(elem bool) string {
	if elem {
		if t == typeTables {
			return "a table"
		}
		return "a quoted string"
	}
	switch t {
	case typeString:
		return "a quoted string"
	case typeInteger:
		return "an integer"
	case typeStrings:
		return "a list of quoted strings"
	case typeDuration:
		return `a duration such as "25s" or an integer number of seconds`
	case typeTable:
		return "a single [section]"
	case typeTables:
		return "a list of [[sections]]"
	}
	return "something else"
}

// kindName describes a parsed value for messages.
func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a decimal number"
	case unstable.Bool:
		return "a boolean"
	case unstable.Array:
		return "a list"
	case unstable.InlineTable:
		return "an inline table"
	case unstable.Table:
		return "a table"
	case unstable.ArrayTable:
		return "a list of [[tables]]"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date or time"
	}
	return "a value of another kind"
}

// knownKeys lists the keys of a table for the fix of an unknown key.
func knownKeys(table string) string {
	fs := tables[table]
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
		switch f.typ {
		case typeTable:
			names[i] = "[" + f.name + "]"
		case typeTables:
			names[i] = "[[" + f.name + "]]"
		}
	}
	return strings.Join(names, ", ")
}

// suggest returns the key of table that name most likely misspells, or "".
// It knows WireGuard's spellings (PrivateKey, AllowedIPs, ...): case,
// underscores and dashes are ignored before the edit distance is taken.
func suggest(table, name string) string {
	norm := func(s string) string {
		s = strings.ToLower(s)
		s = strings.ReplaceAll(s, "_", "")
		return strings.ReplaceAll(s, "-", "")
	}
	n := norm(name)
	best, bestDist := "", 3 // at most two edits
	for _, f := range tables[table] {
		d := editDistance(n, norm(f.name))
		if d < bestDist {
			best, bestDist = f.name, d
		}
	}
	return best
}

// elsewhere returns the table that knows key name when table does not, so
// that a key written under the wrong section header can be pointed out.
func elsewhere(table, name string) string {
	for _, t := range []string{"interface", "peer"} {
		if t == table {
			continue
		}
		if _, ok := lookupField(t, name); ok {
			return t
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // not a typo of a schema key; spare the quadratic work
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
