// Package varint encodes and decodes the canonical unsigned varint of the STT
// wire format: little-endian base-128 groups of 7 bits, the high bit of each
// byte set when another byte follows (the LEB128 form protocol buffers use).
//
// A uint64 takes 1 to 10 bytes. Decoding is strict so that every value has
// exactly one encoding: a value that overflows 64 bits and a non-minimal
// encoding (a trailing 0x00 group, as in 0x80 0x00) are errors, as is a
// truncated one. Parse never allocates and never reads past the first 10 bytes.
//
// The functions are pure and safe for concurrent use.
package varint
