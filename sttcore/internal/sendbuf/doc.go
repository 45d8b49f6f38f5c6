// Package sendbuf holds what a stream has written until the peer has
// acknowledged it: it hands out data to send, new or lost (lost data is sent
// again in new packets, never as a replay of an old one), takes back
// acknowledgements and losses as byte ranges, and frees the acknowledged
// prefix. It also tracks the end of the stream (FIN). A Buffer is not safe
// for concurrent use.
package sendbuf
