// Package config loads and validates the stt-tun configuration: one TOML
// file with an [interface] section and one [[peer]] section per peer, as
// testdata/example.toml shows with every key explained.
//
// [Load] reads the file and the key and seed files it names and returns a
// [Config] with every default filled in, or every problem it found at once:
// an [*Error] for one, [Errors] for several. Each names the file, the line
// where known, the key, what is wrong and the fix, in one line, for
// operators used to WireGuard:
//
//	/etc/stt-tun/stt0.toml:14: peer[1].public_key: not a valid public key: it must be base64 of 32 bytes (fix: paste the output of `stt-tun pubkey` on that host)
//
// Unknown keys are errors (a misspelt key would otherwise be silently
// ignored), keys are lower case, and peer names, public keys and allowed IP
// prefixes are unique across peers. Key and seed files must be mode 0600;
// relative file names are relative to the configuration file's directory.
// Allowed IPs are canonicalised as package routing stores them (host bits
// masked); interface addresses keep their host part. No error message
// contains a private key or a shared seed.
//
// The file is decoded with github.com/pelletier/go-toml/v2, whose errors
// give syntax problems their line; go-toml's unstable parser indexes the
// file so that problems found after decoding get a line too.
//
// What is left to others: resolving endpoint host names, creating the
// interface, and applying a Config (reload included) are the caller's;
// [Config.Validate] checks a Config built in code, e.g. for a live peer
// change.
//
// Concurrency: the functions have no shared state and may be called
// concurrently; a Config is a plain value owned by its caller.
package config
