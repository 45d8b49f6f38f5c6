package tai64n

import (
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustHex(t *testing.T, s string) Timestamp {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, Size)
	return Timestamp(b)
}

func TestStampVectors(t *testing.T) {
	plus8 := time.FixedZone("UTC+8", 8*60*60)
	tests := []struct {
		name string
		t    time.Time
		want string // label (16 hex digits) and nanoseconds (8)
	}{
		{"unix epoch", time.Unix(0, 0), "400000000000000a" + "00000000"},
		{"one second before the epoch", time.Unix(-1, 0), "4000000000000009" + "00000000"},
		{"2023-11-14", time.Unix(1_700_000_000, 123_456_789), "400000006553f10a" + "07000000"},
		{"same instant in another zone", time.Unix(1_700_000_000, 123_456_789).In(plus8), "400000006553f10a" + "07000000"},
		{"2100-01-01 UTC", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "40000000f486570a" + "00000000"},
		{"largest nanoseconds", time.Unix(1_000_000_000_000, 999_999_999), "400000e8d4a5100a" + "3b000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Stamp(tt.t)
			require.Equal(t, tt.want, hex.EncodeToString(got[:]))
		})
	}
}

func TestWhitening(t *testing.T) {
	const granule = 1 << 24 // ns
	tests := []struct {
		nanos, want int
	}{
		{0, 0},
		{1, 0},
		{granule - 1, 0},
		{granule, granule},
		{granule + 1, granule},
		{123_456_789, 7 * granule},
		{999_999_999, 59 * granule},
	}
	for _, tt := range tests {
		ts := Stamp(time.Unix(1_700_000_000, int64(tt.nanos)))
		require.Equal(t, uint32(tt.want), binary.BigEndian.Uint32(ts[nanosOffset:]), "nanoseconds %d", tt.nanos)
		require.Equal(t, base+1_700_000_000, binary.BigEndian.Uint64(ts[secondsOffset:]), "nanoseconds %d", tt.nanos)
	}
}

func TestAfter(t *testing.T) {
	start := time.Unix(1_700_000_000, 123_456_789) // granule [117440512, 134217728) ns
	tests := []struct {
		name      string
		t, u      time.Time
		wantAfter bool // Stamp(t).After(Stamp(u))
	}{
		{"equal", start, start, false},
		{"10 ns later, same granule", start.Add(10 * time.Nanosecond), start, false},
		{"10 µs later, same granule", start.Add(10 * time.Microsecond), start, false},
		{"1 ms later, same granule", start.Add(time.Millisecond), start, false},
		{"10 ms later, same granule", start.Add(10 * time.Millisecond), start, false},
		{"20 ms later, next granule", start.Add(20 * time.Millisecond), start, true},
		{"20 ms earlier", start.Add(-20 * time.Millisecond), start, false},
		{"next second, fewer nanoseconds", time.Unix(1_700_000_001, 0), start, true},
		{"previous second, more nanoseconds", time.Unix(1_699_999_999, 999_999_999), start, false},
		{"an hour later", start.Add(time.Hour), start, true},
		{"after the epoch against before it", time.Unix(0, 0), time.Unix(-1, 999_999_999), true},
		{"before the epoch against after it", time.Unix(-1, 999_999_999), time.Unix(0, 0), false},
		{"year 2100 against year 2000", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Stamp(tt.t), Stamp(tt.u)
			require.Equal(t, tt.wantAfter, a.After(b))
			if tt.wantAfter {
				require.False(t, b.After(a), "After must be antisymmetric")
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want time.Time // t rounded down to 2^24 ns
	}{
		{"epoch", time.Unix(0, 0), time.Unix(0, 0)},
		{"before the epoch", time.Unix(-86400, 5), time.Unix(-86400, 0)},
		{"2023-11-14", time.Unix(1_700_000_000, 123_456_789), time.Unix(1_700_000_000, 117_440_512)},
		{"local zone", time.Date(2030, 6, 1, 12, 0, 0, 50_000_000, time.FixedZone("X", -5*3600)), time.Date(2030, 6, 1, 17, 0, 0, 33_554_432, time.UTC)},
		{"monotonic reading dropped", time.Unix(1_800_000_000, 0).Add(0), time.Unix(1_800_000_000, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := Stamp(tt.t)
			got := ts.Time()
			require.True(t, tt.want.Equal(got), "Time() = %v, want %v", got, tt.want)
			require.Equal(t, time.UTC, got.Location())
			require.Equal(t, ts, Stamp(got), "Stamp(ts.Time()) must give ts back")
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		ts   string
		want string
	}{
		{"400000000000000a" + "00000000", "1970-01-01T00:00:00Z"},
		{"400000006553f10a" + "07000000", "2023-11-14T22:13:20.117440512Z"},
		{"4000000000000009" + "3b000000", "1969-12-31T23:59:59.989855744Z"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, mustHex(t, tt.ts).String())
	}
}

// FuzzTimestamp decodes arbitrary bytes as two timestamps and checks that
// decoding never panics, that a timestamp Stamp can make survives
// Timestamp → time.Time → Timestamp, that any other is made canonical in one
// step, and that After is the numeric order of (label, nanoseconds).
func FuzzTimestamp(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b Timestamp
		copy(a[:], data)
		if len(data) > Size {
			copy(b[:], data[Size:])
		}
		_ = a.String()

		labelA, nanosA := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint32(a[8:])
		labelB, nanosB := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint32(b[8:])

		canonical := nanosA < 1e9 && nanosA&whitenerMask == 0
		again := Stamp(a.Time())
		if canonical && again != a {
			t.Fatalf("%x: Stamp(Time()) = %x", a, again)
		}
		if twice := Stamp(again.Time()); twice != again {
			t.Fatalf("%x: Stamp not a fixed point: %x then %x", a, again, twice)
		}

		want := labelA > labelB || labelA == labelB && nanosA > nanosB
		if a.After(b) != want {
			t.Fatalf("%x.After(%x) = %v, want %v", a, b, a.After(b), want)
		}
		if a.After(a) {
			t.Fatalf("%x is after itself", a)
		}
		if a.After(b) && b.After(a) {
			t.Fatalf("%x and %x are each after the other", a, b)
		}
	})
}
