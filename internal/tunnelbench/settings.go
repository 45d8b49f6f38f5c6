package tunnelbench

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
)

// The environment variables that tune BenchmarkTunnel (see the package
// documentation).
const (
	envSeconds    = "TUNNELBENCH_SECONDS"  // seconds per iperf3 run
	envOmit       = "TUNNELBENCH_OMIT"     // seconds of TCP warm-up left out
	envUDPRate    = "TUNNELBENCH_UDP_RATE" // iperf3 -b for the UDP run
	envBinary     = "TUNNELBENCH_BIN"      // a prebuilt stt-tun to measure
	envProfileDir = "STT_CPUPROFILE_DIR"   // where the daemons write CPU profiles
)

// Defaults of the settings, those of ../shared/bench/netbench.sh where it
// has one.
const (
	defaultSeconds = 5
	defaultOmit    = 1
	defaultUDPRate = "500M"
	maxSeconds     = 3600
	maxOmit        = 60
)

// errBadSetting marks an environment variable loadSettings cannot use.
var errBadSetting = errors.New("bad benchmark setting")

// settings is what the environment asks of BenchmarkTunnel.
type settings struct {
	Seconds    int    // duration of each iperf3 run, in seconds
	Omit       int    // leading seconds of each TCP run that iperf3 leaves out (-O)
	UDPRate    string // target rate of the UDP run, in iperf3's -b notation
	Binary     string // stt-tun to measure; "" builds ./cmd/stt-tun
	ProfileDir string // "" or where each daemon writes A.pprof / B.pprof
}

// udpRateRE is the subset of iperf3's -b notation accepted: a number with
// an optional K, M or G suffix.
var udpRateRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[KMG]?$`)

// loadSettings reads the settings through getenv (os.Getenv in the
// benchmark) and reports every unusable variable at once, each wrapped in
// errBadSetting.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		Seconds:    defaultSeconds,
		Omit:       defaultOmit,
		UDPRate:    defaultUDPRate,
		Binary:     getenv(envBinary),
		ProfileDir: getenv(envProfileDir),
	}
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("%w: %s=%q: want %s", errBadSetting, name, value, want))
	}
	readInt := func(name string, dst *int, lo, hi int) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(name, v, fmt.Sprintf("a whole number of seconds from %d to %d", lo, hi))
			return
		}
		*dst = n
	}
	readInt(envSeconds, &s.Seconds, 1, maxSeconds)
	readInt(envOmit, &s.Omit, 0, maxOmit)
	if v := getenv(envUDPRate); v != "" {
		if !udpRateRE.MatchString(v) || !nonZeroRate(v) {
			bad(envUDPRate, v, `a rate above zero as iperf3 -b takes it, e.g. "500M" or "1.5G"`)
		} else {
			s.UDPRate = v
		}
	}
	// go test runs the benchmark in the package's directory, not the
	// caller's: a relative path would silently point elsewhere.
	if s.Binary != "" && !filepath.IsAbs(s.Binary) {
		bad(envBinary, s.Binary, "an absolute path to an stt-tun binary")
	}
	if s.ProfileDir != "" && !filepath.IsAbs(s.ProfileDir) {
		bad(envProfileDir, s.ProfileDir, "an absolute path to a directory")
	}
	if err := errors.Join(errs...); err != nil {
		return settings{}, err
	}
	return s, nil
}

// nonZeroRate reports whether a rate udpRateRE accepted is above zero.
func nonZeroRate(v string) bool {
	for _, c := range v {
		if c >= '1' && c <= '9' {
			return true
		}
	}
	return false
}
