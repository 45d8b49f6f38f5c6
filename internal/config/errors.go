package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

var (
	_ error = (*Error)(nil)
	_ error = Errors(nil)
)

// Error is one problem in a configuration file. Its text names the file, the
// line where known, the key, what is wrong and how to fix it:
//
//	stt0.toml:14: peer[1].public_key: not a valid public key (fix: paste the output of `stt-tun pubkey` on that host)
//
// No message ever contains a private key or a shared seed.
type Error struct {
	// File is the configuration file, as given to Load or Parse.
	File string
	// Line is the line of File the problem is on (1-based), or 0 if it has
	// none, such as a section that is missing.
	Line int
	// Key is the key in question, with the section and zero-based indices,
	// e.g. "interface.mtu" or "peer[2].allowed_ips[0]". It is empty for a
	// syntax error that belongs to no key.
	Key string
	// Msg says what is wrong.
	Msg string
	// Fix says how to correct it.
	Fix string
	// Err is the underlying error, if any: a *toml.DecodeError, an error
	// of package stc (stc.ErrKeyEncoding, stc.ErrWeakKey, ...), or an
	// io/fs error from reading a key file.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString(" (fix: ")
		b.WriteString(e.Fix)
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the underlying error, or nil.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one configuration, ordered by line. Load
// and Parse return it when they find more than one, so that an operator can
// fix them all in one pass; errors.As with a **Error finds the first.
type Errors []*Error

// Error returns one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// problems collects the errors of one file. The line of each is looked up
// from its key in the index of the file, when there is one.
type problems struct {
	file string
	ix   *index // nil when validating a Config that came from no file
	list []*Error
	// misspelt holds the paths of keys an unknown key is likely a
	// misspelling of: that they are missing goes without saying.
	misspelt map[string]bool
}

// add records a problem with key, on the line of key or of the nearest
// enclosing section that is written in the file.
func (p *problems) add(key, msg, fix string, err error) {
	p.list = append(p.list, &Error{File: p.file, Line: p.ix.line(key), Key: key, Msg: msg, Fix: fix, Err: err})
}

// has reports whether a problem was recorded for key, for an element or
// member of key, or for a section containing key, or whether key is
// misspelt: a check skips what an earlier one has already explained.
func (p *problems) has(key string) bool {
	if p.misspelt[key] {
		return true
	}
	for _, e := range p.list {
		if related(e.Key, key) {
			return true
		}
	}
	return false
}

// hasExact reports whether a problem was recorded for key itself, or key
// is misspelt.
func (p *problems) hasExact(key string) bool {
	if p.misspelt[key] {
		return true
	}
	for _, e := range p.list {
		if e.Key == key {
			return true
		}
	}
	return false
}

// related reports whether one key path is the other or contains it.
func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if a == "" || !strings.HasPrefix(b, a) {
		return false
	}
	return len(a) == len(b) || b[len(a)] == '.' || b[len(a)] == '['
}

// err returns nil, the only problem, or all of them ordered by line (problems
// without a line first, as they concern the file as a whole).
func (p *problems) err() error {
	switch len(p.list) {
	case 0:
		return nil
	case 1:
		return p.list[0]
	}
	es := Errors(slices.Clone(p.list))
	slices.SortStableFunc(es, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	return es
}
