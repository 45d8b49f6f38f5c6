package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// The index of a file: every key, section header and array element with
// its path and position, read with go-toml's unstable parser. It gives
// errors found after decoding their line, maps the position of a go-toml
// error to a key path, and is where unknown keys and wrong types are found,
// all of them at once and with exact (case-sensitive) key names.

// maxIndexDepth bounds how deep the index follows nested arrays and inline
// tables. The schema is three levels deep; deeper values are wrong anyway
// and are reported at the level the schema ends.
const maxIndexDepth = 8

// entry is one key, section header or array element of the file.
type entry struct {
	path   string        // e.g. "peer[1].allowed_ips[0]"
	parent string        // path of the enclosing table or array: "peer[1].allowed_ips"
	table  string        // generic path (no indices) of the enclosing table: "peer"
	name   string        // the key: "allowed_ips"
	elem   bool          // an element of an array, or one [[table]] of an array of tables
	header bool          // a [table] or [[table]] header, or a table implied by one
	kind   unstable.Kind // kind of the value; Table or ArrayTable for a header
	off    int           // offset of the key, header or element in the file; -1 if unknown
	valOff int           // offset of the value; -1 if unknown
}

type index struct {
	entries    []entry
	byPath     map[string]int // path → first entry
	byOff      map[int]int    // offset of a key or a value → entry
	lineStarts []int          // offset of the first byte of each line
	arrays     map[string]int // path of an array of tables → tables seen so far
}

// buildIndex indexes data. A syntax error ends the index where it occurs;
// the error itself is reported from the decoder.
func buildIndex(data []byte) *index {
	ix := &index{
		byPath:     make(map[string]int),
		byOff:      make(map[int]int),
		lineStarts: []int{0},
		arrays:     make(map[string]int),
	}
	for i, c := range data {
		if c == '\n' {
			ix.lineStarts = append(ix.lineStarts, i+1)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	var table, generic string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			ix.keyValue(table, generic, e, 0)
		case unstable.Table, unstable.ArrayTable:
			table, generic = ix.header(e)
		}
	}
	return ix
}

type keyPart struct {
	name string
	off  int
}

func keyParts(n *unstable.Node) []keyPart {
	var parts []keyPart
	for it := n.Key(); it.Next(); {
		k := it.Node()
		parts = append(parts, keyPart{name: string(k.Data), off: rawOff(k)})
	}
	return parts
}

// rawOff returns the offset of a node in the file, or -1 for nodes the
// parser gives no position (arrays).
func rawOff(n *unstable.Node) int {
	if n.Raw == (unstable.Range{}) {
		return -1
	}
	return int(n.Raw.Offset)
}

// join appends a key to a path. A key that is not a bare TOML key is quoted
// as TOML would write it, so that paths stay one line and unambiguous.
func join(path, key string) string {
	if !isBareKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func elemPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// header indexes a [table] or [[table]] header and returns the path and the
// generic path of the table it opens.
func (ix *index) header(e *unstable.Node) (path, generic string) {
	parts := keyParts(e)
	for i, k := range parts {
		parent, table := path, generic
		path, generic = join(path, k.name), join(generic, k.name)
		base := entry{path: path, parent: parent, table: table, name: k.name, header: true, off: k.off, valOff: -1}
		switch {
		case i == len(parts)-1 && e.Kind == unstable.ArrayTable:
			n := ix.arrays[path]
			ix.arrays[path] = n + 1
			if n == 0 {
				base.kind = unstable.ArrayTable
				ix.add(base)
			}
			elem := base
			elem.parent, elem.path, elem.elem, elem.kind = path, elemPath(path, n), true, unstable.ArrayTable
			ix.add(elem)
			path = elem.path
		case i == len(parts)-1:
			base.kind = unstable.Table
			ix.add(base)
		default:
			if n, ok := ix.arrays[path]; ok {
				path = elemPath(path, n-1) // [peer.x] extends the latest [[peer]]
			} else {
				ix.addImplicit(base)
			}
		}
	}
	return path, generic
}

// keyValue indexes key = value in the table at path (generic: its generic
// path), and the elements and members of the value.
func (ix *index) keyValue(path, generic string, kv *unstable.Node, depth int) {
	parts := keyParts(kv)
	for i, k := range parts {
		parent, table := path, generic
		path, generic = join(path, k.name), join(generic, k.name)
		base := entry{path: path, parent: parent, table: table, name: k.name, off: k.off, valOff: -1}
		if i < len(parts)-1 {
			ix.addImplicit(base) // a.b = 1 defines the table a
			continue
		}
		ix.value(base, kv.Value(), depth)
	}
}

// value indexes a value given its entry without kind and value offset.
func (ix *index) value(e entry, v *unstable.Node, depth int) {
	e.kind, e.valOff = v.Kind, rawOff(v)
	ix.add(e)
	if depth >= maxIndexDepth {
		return
	}
	switch v.Kind {
	case unstable.Array:
		n := 0
		for it := v.Children(); it.Next(); {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			el := e
			el.parent, el.path, el.elem = e.path, elemPath(e.path, n), true
			if off := rawOff(c); off >= 0 {
				el.off = off
			}
			ix.value(el, c, depth+1)
			n++
		}
	case unstable.InlineTable:
		generic := join(e.table, e.name)
		for it := v.Children(); it.Next(); {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				ix.keyValue(e.path, generic, c, depth+1)
			}
		}
	}
}

func (ix *index) add(e entry) {
	i := len(ix.entries)
	ix.entries = append(ix.entries, e)
	if _, ok := ix.byPath[e.path]; !ok {
		ix.byPath[e.path] = i
	}
	for _, off := range []int{e.off, e.valOff} {
		if _, ok := ix.byOff[off]; off >= 0 && !ok {
			ix.byOff[off] = i
		}
	}
}

// addImplicit indexes a table that a dotted key or header defines without
// a header of its own, unless it is already known.
func (ix *index) addImplicit(e entry) {
	if _, ok := ix.byPath[e.path]; ok {
		return
	}
	e.kind = unstable.Table
	ix.add(e)
}

// line returns the line of key, or of the nearest enclosing table or array
// that is written in the file, or 0. A nil index knows no lines.
func (ix *index) line(key string) int {
	if ix == nil {
		return 0
	}
	for key != "" {
		if i, ok := ix.byPath[key]; ok {
			if off := ix.entries[i].off; off >= 0 {
				return ix.lineOf(off)
			}
		}
		key = parentKey(key)
	}
	return 0
}

// parentKey strips the last member or index from a key path.
func parentKey(key string) string {
	if n := len(key); n > 0 && key[n-1] == ']' {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// lineOf returns the 1-based line of a byte offset.
func (ix *index) lineOf(off int) int {
	i, found := slices.BinarySearch(ix.lineStarts, off)
	if found {
		return i + 1
	}
	return i
}

// offsetAt returns the byte offset of a 1-based line and column, or -1.
func (ix *index) offsetAt(line, col int) int {
	if line < 1 || line > len(ix.lineStarts) || col < 1 {
		return -1
	}
	return ix.lineStarts[line-1] + col - 1
}

// keyAt returns the path of the key, header or value that starts at line
// and column, if any.
func (ix *index) keyAt(line, col int) (string, bool) {
	i, ok := ix.byOff[ix.offsetAt(line, col)]
	if !ok {
		return "", false
	}
	return ix.entries[i].path, true
}

// check reports every key the schema does not know and every value of the
// wrong type. Members and elements of a value already reported are skipped.
// It returns false if a decoder may have stored a wrong value: a value has
// the wrong type, or an unknown key differs from a known one only in case.
func (ix *index) check(p *problems) (clean bool) {
	clean = true
	bad := make(map[string]bool)
	for _, e := range ix.entries {
		if bad[e.parent] {
			bad[e.path] = true
			continue
		}
		if _, ok := tables[e.table]; !ok {
			// Below a key that is no table in the schema: that key is
			// reported as having the wrong type.
			bad[e.path] = true
			continue
		}
		f, ok := lookupField(e.table, e.name)
		if !ok {
			p.add(e.path, unknownMsg(e), unknownFix(e), nil)
			if s := suggest(e.table, e.name); s != "" {
				if p.misspelt == nil {
					p.misspelt = make(map[string]bool)
				}
				p.misspelt[join(e.parent, s)] = true
			}
			bad[e.path] = true
			for _, f := range tables[e.table] {
				if strings.EqualFold(f.name, e.name) {
					clean = false
				}
			}
			continue
		}
		if !f.typ.accepts(e.kind, e.elem) {
			msg, fix := wrongTypeMsg(e, f)
			p.add(e.path, msg, fix, nil)
			bad[e.path] = true
			clean = false
		}
	}
	return clean
}

func sectionName(table string) string {
	switch table {
	case "":
		return "at the top level"
	case "interface":
		return "in [interface]"
	case "peer":
		return "in [[peer]]"
	}
	return "in [" + table + "]"
}

func unknownMsg(e entry) string {
	what := "key"
	if e.header {
		what = "section"
	}
	msg := fmt.Sprintf("unknown %s %q %s", what, e.name, sectionName(e.table))
	if s := suggest(e.table, e.name); s != "" {
		f, _ := lookupField(e.table, s)
		switch f.typ {
		case typeTable, typeTables:
			msg += " (did you mean " + f.example + "? section names are lower case)"
		default:
			msg += fmt.Sprintf(" (did you mean %q? keys are lower case with underscores)", s)
		}
	} else if t := elsewhere(e.table, e.name); t != "" {
		msg += fmt.Sprintf("; %q is a key of %s", e.name, sectionName(t)[3:])
	}
	return msg
}

func unknownFix(e entry) string {
	if suggest(e.table, e.name) == "" {
		switch elsewhere(e.table, e.name) {
		case "interface":
			return "move it into the [interface] section: TOML puts a key in the section whose header is the nearest above it"
		case "peer":
			return "move it below the [[peer]] line of the peer it belongs to"
		}
	}
	return "remove it or check the spelling; known keys " + sectionName(e.table) + ": " + knownKeys(e.table)
}

func wrongTypeMsg(e entry, f field) (msg, fix string) {
	switch {
	case f.typ == typeTable && e.kind == unstable.ArrayTable:
		return "is written [[interface]], a list of sections", "write [interface] with single brackets: a file configures one interface"
	case f.typ == typeTables && !e.elem && (e.kind == unstable.Table || e.kind == unstable.InlineTable):
		return "is written [peer], a single section", "write [[peer]] with double brackets above each peer"
	case f.typ == typeTable || f.typ == typeTables:
		return fmt.Sprintf("is %s, but must be %s", kindName(e.kind), f.typ.want(e.elem)),
			"write the section as " + f.example + " followed by its keys, one per line"
	case e.elem:
		return fmt.Sprintf("is %s, but each entry must be %s", kindName(e.kind), f.typ.want(true)),
			"quote each entry, e.g. " + f.example
	case f.typ == typeInteger && e.kind == unstable.String:
		return "is a string, but must be an integer", "remove the quotes, e.g. " + f.example
	}
	return fmt.Sprintf("is %s, but must be %s", kindName(e.kind), f.typ.want(false)), "write it as " + f.example
}
