//go:build unix

package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/config"
)

// keyFileConfig is a configuration naming its key and seed files.
func keyFileConfig(keyFile, seedFile string) string {
	return "[interface]\nprivate_key_file = \"" + keyFile + "\"\nshared_seed_file = \"" + seedFile + "\"\naddress = [\"10.77.0.1/24\"]\n"
}

// TestLoadRelativeKeyFiles: relative key and seed file names are relative
// to the configuration file's directory, not to the working directory.
func TestLoadRelativeKeyFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "etc/keys/private.key", alphaPriv+"\n", 0o600)
	writeFile(t, dir, "etc/network.seed", netSeed, 0o400)
	path := writeFile(t, dir, "etc/stt0.toml", keyFileConfig("keys/private.key", "network.seed"), 0o644)
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NotEqual(t, filepath.Dir(path), wd)

	c, err := config.Load(path)
	require.NoError(t, err)
	require.Equal(t, alphaPub, c.Interface.PrivateKey.PublicKey().String())
	require.Len(t, c.Interface.SharedSeed, 32)
	require.Equal(t, path, c.Path)

	// Parse resolves against the directory of the path it is given, too.
	c, err = config.Parse(path, []byte(keyFileConfig("keys/private.key", "network.seed")))
	require.NoError(t, err)
	require.Equal(t, alphaPub, c.Interface.PrivateKey.PublicKey().String())

	// Absolute names are used as they are.
	abs := keyFileConfig(filepath.Join(dir, "etc/keys/private.key"), filepath.Join(dir, "etc/network.seed"))
	_, err = config.Parse("/nonexistent/stt0.toml", []byte(abs))
	require.NoError(t, err)
}

// TestLoadPermissions: key and seed files, and a configuration file with a
// secret inline, must not be accessible to group or others.
func TestLoadPermissions(t *testing.T) {
	inline := "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\"]\n"
	inlineSeed := keyFileConfig("private.key", "x")
	inlineSeed = strings.Replace(inlineSeed, `shared_seed_file = "x"`, `shared_seed = "`+netSeed+`"`, 1)
	tests := []struct {
		name       string
		config     string
		configMode os.FileMode
		keyMode    os.FileMode
		seedMode   os.FileMode
		key        string // "" if the configuration is fine
		file       string // the file the fix must chmod
	}{
		{"key 0600", keyFileConfig("private.key", "network.seed"), 0o644, 0o600, 0o600, "", ""},
		{"key 0400", keyFileConfig("private.key", "network.seed"), 0o644, 0o400, 0o400, "", ""},
		{"key 0644", keyFileConfig("private.key", "network.seed"), 0o644, 0o644, 0o600, "interface.private_key_file", "private.key"},
		{"key 0640", keyFileConfig("private.key", "network.seed"), 0o644, 0o640, 0o600, "interface.private_key_file", "private.key"},
		{"key 0602", keyFileConfig("private.key", "network.seed"), 0o644, 0o602, 0o600, "interface.private_key_file", "private.key"},
		{"seed 0644", keyFileConfig("private.key", "network.seed"), 0o644, 0o600, 0o644, "interface.shared_seed_file", "network.seed"},
		{"inline key in 0600 file", inline, 0o600, 0o600, 0o600, "", ""},
		{"inline key in 0644 file", inline, 0o644, 0o600, 0o600, "interface.private_key", "stt0.toml"},
		{"inline seed in 0640 file", inlineSeed, 0o640, 0o600, 0o600, "interface.shared_seed", "stt0.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "private.key", alphaPriv+"\n", tt.keyMode)
			writeFile(t, dir, "network.seed", netSeed+"\n", tt.seedMode)
			path := writeFile(t, dir, "stt0.toml", tt.config, tt.configMode)
			c, err := config.Load(path)
			if tt.key == "" {
				require.NoError(t, err)
				require.False(t, c.Interface.PrivateKey.IsZero())
				return
			}
			var e *config.Error
			require.ErrorAs(t, err, &e)
			var es config.Errors
			require.False(t, errors.As(err, &es), "one problem only: %v", err)
			require.Equal(t, tt.key, e.Key)
			require.Equal(t, path, e.File)
			require.Equal(t, strings.Count(tt.config[:strings.Index(tt.config, tt.key[len("interface."):])], "\n")+1, e.Line)
			require.ErrorIs(t, err, config.ErrInsecureMode)
			require.Contains(t, e.Msg, "group or others")
			require.Contains(t, e.Fix, "chmod 600 "+filepath.Join(dir, tt.file))
			require.NotContains(t, err.Error(), alphaPriv)
			require.NotContains(t, err.Error(), netSeed)
		})
	}
}

// TestLoadFileErrors: unreadable key, seed and configuration files are
// named, with what is wrong with them.
func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "empty.key", "", 0o600)
	writeFile(t, dir, "big.key", strings.Repeat("A", 5000), 0o600)
	writeFile(t, dir, "bad.key", "not a key\n", 0o600)
	writeFile(t, dir, "seed.key", alphaPriv, 0o600)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "keydir"), 0o700))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo.key"), 0o600))

	tests := []struct {
		name string
		file string
		seed bool
		msg  string
		fix  string
		is   error
	}{
		{"missing", "missing.key", false, "private key file " + filepath.Join(dir, "missing.key") + " does not exist", "(umask 077; stt-tun genkey > " + filepath.Join(dir, "missing.key") + ")", fs.ErrNotExist},
		{"missing seed", "missing.seed", true, "shared seed file " + filepath.Join(dir, "missing.seed") + " does not exist", "stt-tun genseed", fs.ErrNotExist},
		{"directory", "keydir", false, "is a directory", "not its directory", nil},
		{"fifo", "fifo.key", false, "is not a regular file", "regular file", nil},
		{"empty", "empty.key", false, "is empty", "stt-tun genkey", nil},
		{"too large", "big.key", false, "is larger than 4096 bytes", "stt-tun genkey", nil},
		{"not a key", "bad.key", false, "does not hold a valid private key: it must be base64 of 32 bytes", "write the output of `stt-tun genkey` into " + filepath.Join(dir, "bad.key"), nil},
		{"short seed", "bad.key", true, "does not hold a valid shared seed", "stt-tun genseed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := keyFileConfig(tt.file, "seed.key")
			key := "interface.private_key_file"
			if tt.seed {
				text = keyFileConfig("seed.key", tt.file)
				key = "interface.shared_seed_file"
			}
			path := writeFile(t, dir, "stt0.toml", text, 0o600)
			_, err := config.Load(path)
			var e *config.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, key, e.Key, "%v", err)
			require.Equal(t, strings.Count(text[:strings.Index(text, key[len("interface."):])], "\n")+1, e.Line)
			require.Contains(t, e.Msg, tt.msg)
			require.Contains(t, e.Fix, tt.fix)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}

	_, err := config.Load(filepath.Join(dir, "none.toml"))
	var e *config.Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, "configuration file "+filepath.Join(dir, "none.toml")+" does not exist", e.Msg)
	require.Zero(t, e.Line)

	_, err = config.Load(dir)
	require.ErrorAs(t, err, &e)
	require.Contains(t, e.Msg, "is a directory")
}
