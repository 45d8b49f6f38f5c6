//go:build unix

package config

import "io/fs"

// insecureMode reports whether a file of this mode lets group or others at
// the secret it holds.
func insecureMode(m fs.FileMode) bool { return m.Perm()&0o077 != 0 }
