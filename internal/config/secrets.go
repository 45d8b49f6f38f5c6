package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Reading key and seed files.

// maxSecretFileSize bounds a key or seed file: one line of base64.
const maxSecretFileSize = 4096

var (
	// ErrInsecureMode is wrapped by the *Error for a key or seed file, or a
	// configuration file holding a secret inline, that group or others may
	// access. Secrets must be mode 0600 (or 0400).
	ErrInsecureMode = errors.New("config: secret accessible to group or others")

	errNotRegular = errors.New("not a regular file")
	errTooLarge   = errors.New("file too large")
)

// secretFile describes a kind of secret file for messages.
type secretFile struct {
	what     string // "private key file"
	generate string // the command that writes one
}

var (
	privateKeyFile = secretFile{what: "private key file", generate: "stt-tun genkey"}
	sharedSeedFile = secretFile{what: "shared seed file", generate: "stt-tun genseed"}
)

// readFile reads a regular file of at most limit bytes. It does not open
// anything else: opening a FIFO or a device could block or never end.
func readFile(name string, limit int64) ([]byte, fs.FileInfo, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, info, errNotRegular // replaced since the first look
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, info, err
	}
	if int64(len(data)) > limit {
		return nil, info, errTooLarge
	}
	return data, info, nil
}

// quotePath returns a file name for a message: as is if it is plain, else
// quoted, so that a message stays one line and the name stays exact.
func quotePath(name string) string {
	for _, r := range name {
		if r <= ' ' || r == '"' || r == '\\' || r == '\'' || r >= 0x7f {
			return strconv.Quote(name)
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

// resolve makes a file name from the configuration relative to the
// directory of the configuration file.
func resolve(configPath, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(configPath), name)
}

// readSecret reads the secret file the key holds, reporting problems under
// key. ok is false if it could not be read; a file with a bad mode is read
// all the same, so that its contents are checked too.
func (p *problems) readSecret(key string, kind secretFile, name string) (text string, ok bool) {
	data, info, err := readFile(name, maxSecretFileSize)
	if err != nil {
		p.list = append(p.list, fileError(p.file, p.ix.line(key), key, kind, name, err, info))
		return "", false
	}
	name = quotePath(name)
	if insecureMode(info.Mode()) {
		p.add(key,
			fmt.Sprintf("%s %s has mode %04o: group or others can access the secret", kind.what, name, info.Mode().Perm()),
			fmt.Sprintf("chmod 600 %s (secrets must be mode 0600)", name),
			ErrInsecureMode)
	}
	if len(data) == 0 {
		p.add(key, fmt.Sprintf("%s %s is empty", kind.what, name),
			fmt.Sprintf("write the output of `%s` into it", kind.generate), nil)
		return "", false
	}
	return string(data), true
}

// fileError describes a failure to read a file named by the configuration
// (or the configuration file itself, with an empty key).
func fileError(file string, line int, key string, kind secretFile, name string, err error, info fs.FileInfo) *Error {
	e := &Error{File: file, Line: line, Key: key, Err: err}
	name = quotePath(name)
	create := fmt.Sprintf("create it with `(umask 077; %s > %s)`, or correct the path", kind.generate, name)
	if key == "" {
		create = "check the path"
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Msg = fmt.Sprintf("%s %s does not exist", kind.what, name)
		e.Fix = create
	case errors.Is(err, fs.ErrPermission):
		e.Msg = fmt.Sprintf("%s %s cannot be read: permission denied", kind.what, name)
		e.Fix = fmt.Sprintf("run stt-tun as root, or make %s owned and readable by the user stt-tun runs as (mode 0600)", name)
	case errors.Is(err, errNotRegular) && info != nil && info.IsDir():
		e.Msg = fmt.Sprintf("%s %s is a directory", kind.what, name)
		e.Fix = "name the file itself, not its directory"
	case errors.Is(err, errNotRegular):
		e.Msg = fmt.Sprintf("%s %s is not a regular file", kind.what, name)
		e.Fix = "name a regular file"
	case errors.Is(err, errTooLarge):
		e.Msg = fmt.Sprintf("%s %s is larger than %d bytes", kind.what, name, maxSecretFileSize)
		e.Fix = fmt.Sprintf("it should hold one line, the output of `%s`; check that the path names the right file", kind.generate)
		if key == "" {
			e.Msg = fmt.Sprintf("%s %s is larger than %d bytes", kind.what, name, maxConfigSize)
			e.Fix = "check that the path names the right file"
		}
	default:
		e.Msg = fmt.Sprintf("%s %s cannot be read: %v", kind.what, name, err)
		e.Fix = "check the file and the path"
	}
	return e
}
