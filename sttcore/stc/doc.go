// Package stc is STC v1, the crypto profile of the STT protocol: the concepts
// of Seigr Toolset Crypto (node seeds, a shared network seed, node IDs, per
// stream contexts, key rotation) realised with vetted primitives.
//
//   - A node's identity is its [PrivateKey], a 32-byte node seed (random, or
//     Argon2id of a passphrase). Its static X25519 key is derived from the seed
//     with HKDF-BLAKE2s under a context label; the [PublicKey] is what peers
//     configure, in base64 as WireGuard operators know it; the [NodeID] is the
//     BLAKE2s hash of the public key.
//   - The shared seed of a network yields a [NetworkKey], the pre-shared key
//     mixed into every handshake and into the handshake MACs: a node without it
//     cannot make a packet that is answered.
//   - Frames are sealed with ChaCha20-Poly1305, or AES-256-GCM when both peers
//     have hardware AES ([Suite], [NegotiateSuite], [NewAEAD]).
//   - Handshake packets carry two keyed-BLAKE2s MACs ([CookieChecker],
//     [CookieGenerator]): mac1 proves knowledge of the responder's public key
//     and the network key, mac2 a cookie that proves ownership of the source
//     address when the responder is under load.
//
// The handshake itself (Noise IKpsk2) is in package handshake, the replay
// window in stc/replay and TAI64N timestamps in stc/tai64n.
//
// Keys never print: PrivateKey and NetworkKey format as a placeholder in fmt
// and log/slog, and are written out only through their explicit Encode
// methods. The types here are values; CookieChecker and CookieGenerator are
// safe for concurrent use.
package stc
