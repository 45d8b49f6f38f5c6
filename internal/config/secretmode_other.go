//go:build !unix

package config

import "io/fs"

// insecureMode reports false: outside Unix the permission bits of
// fs.FileMode do not describe who may read a file.
func insecureMode(fs.FileMode) bool { return false }
