package serial

import (
	"testing"
)

// benchRecord returns a representative record: eight keys of mixed types,
// among them 1 KiB of bytes.
func benchRecord() map[string]any {
	payload := make([]byte, 1024)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	return map[string]any{
		"id":      uint64(0x1234_5678_9abc),
		"name":    "peer-alpha.example",
		"created": int64(-1_700_000_000),
		"rtt":     0.0125,
		"active":  true,
		"tags":    []any{"relay", "ipv6", uint64(3)},
		"payload": payload,
		"parent":  nil,
	}
}

func BenchmarkMarshal(b *testing.B) {
	v := benchRecord()
	buf, err := Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = Append(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	buf, err := Marshal(benchRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
}
