package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// maxConfigSize bounds the configuration file read by Load.
const maxConfigSize = 1 << 20

// Load reads the configuration file at path, and the key and seed files it
// names, and validates them. Relative key and seed file names are relative to
// the directory of path. Key and seed files, and the configuration file
// itself when it holds a private_key or shared_seed inline, must not be
// accessible to group or others (mode 0600 or stricter).
//
// The error is an *Error for one problem and Errors for several.
func Load(path string) (*Config, error) {
	data, info, err := readFile(path, maxConfigSize)
	if err != nil {
		return nil, fileError(path, 0, "", secretFile{what: "configuration file"}, path, err, info)
	}
	return parse(path, data, info)
}

// Parse parses and validates a configuration file whose contents are data.
// It reads the key and seed files the configuration names; path is used to
// resolve relative names and in error messages. Unlike Load it cannot check
// the mode of the configuration file itself.
//
// The error is an *Error for one problem and Errors for several.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, nil)
}

func parse(path string, data []byte, info fs.FileInfo) (*Config, error) {
	p := &problems{file: path, ix: buildIndex(data)}
	var raw rawConfig
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	decodeErr := dec.Decode(&raw)

	// The index knows the exact key names and finds every unknown key and
	// every value of the wrong type at once; go-toml finds syntax errors
	// and what else TOML forbids (keys defined twice, numbers out of range).
	clean := p.ix.check(p)
	var strict *toml.StrictMissingError
	switch {
	case errors.As(decodeErr, &strict):
		for i := range strict.Errors {
			p.decodeError(data, &strict.Errors[i])
		}
	case decodeErr != nil:
		var de *toml.DecodeError
		if errors.As(decodeErr, &de) {
			p.decodeError(data, de)
		} else {
			p.add("", "cannot decode the file: "+decodeErr.Error(), "correct the TOML syntax", decodeErr)
		}
		return nil, p.err()
	}
	if !clean {
		// A value has the wrong type, or a key in the wrong case was
		// decoded as the right one (go-toml matches case-insensitively):
		// the values decoded cannot be trusted.
		return nil, p.err()
	}

	c := raw.convert(p, info)
	c.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeError records an error of go-toml, unless the schema check has
// already explained the key it is about.
func (p *problems) decodeError(data []byte, de *toml.DecodeError) {
	row, col := de.Position()
	key, ok := p.ix.keyAt(row, col)
	if !ok {
		key = strings.Join(de.Key(), ".")
	}
	msg := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' ' // one line per problem
		}
		return r
	}, strings.TrimPrefix(de.Error(), "toml: "))
	isType := strings.HasPrefix(msg, "cannot decode") || strings.HasPrefix(msg, "cannot store")
	for _, e := range p.list {
		if related(e.Key, key) || (isType && e.Err == nil) {
			return // the schema check said it better
		}
	}
	var fix string
	switch {
	case msg == "unknown field" || msg == "missing table":
		msg, fix = fmt.Sprintf("unknown key %q", key), "remove it or check the spelling"
	case isType:
		msg, fix = "has the wrong type", "write the value as the example configuration does"
	case strings.Contains(msg, "already"):
		fix = "remove the repetition: a key or [section] may appear once, except [[peer]] which starts a new peer each time"
	case strings.Contains(msg, "too large") || strings.Contains(msg, "cannot be stored"):
		fix = "use a number in the documented range"
	default:
		fix = `correct the TOML syntax: strings in double quotes, lists in [ ], one "key = value" per line`
	}
	if secretLine(data, p.ix, row) {
		// The message may quote part of the value.
		msg = "the value is not valid TOML (it is not shown: it is a secret)"
	}
	e := &Error{File: p.file, Line: row, Key: key, Msg: msg, Fix: fix, Err: de}
	if col > 0 && !isType && key == "" {
		e.Msg = fmt.Sprintf("column %d: %s", col, msg)
	}
	p.list = append(p.list, e)
}

// secretLine reports whether line row of data may hold an inline secret.
func secretLine(data []byte, ix *index, row int) bool {
	start := ix.offsetAt(row, 1)
	if start < 0 || start > len(data) {
		return false
	}
	line := data[start:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return bytes.Contains(line, []byte("private_key")) || bytes.Contains(line, []byte("shared_seed"))
}
