package congestion

// maxFilter is a windowed maximum: an estimate of the largest value seen in
// the last win units of time (for BBR's BtlBw, packet-timed round trips). It
// is Kathleen Nichols's algorithm, the one behind Linux's lib/minmax.c and
// Chromium's WindowedFilter: it keeps three samples, the best of the window
// and the best of two later sub-windows, so that when the best ages out of
// the window the next one takes over, without keeping every sample.
//
// The value is always one of the samples of the window, at least the latest
// sample, and never more than the true maximum of the window. Times must not
// decrease. The zero value holds nothing (reports zero).
type maxFilter struct {
	s [3]filterSample // s[0] the best; values non-increasing, times non-decreasing
}

type filterSample struct {
	v Bandwidth
	t uint64
}

// get returns the windowed maximum.
func (f *maxFilter) get() Bandwidth { return f.s[0].v }

// reset makes v at t the only sample.
func (f *maxFilter) reset(v Bandwidth, t uint64) {
	f.s[0] = filterSample{v, t}
	f.s[1], f.s[2] = f.s[0], f.s[0]
}

// update adds the sample v taken at t and returns the new maximum of the
// window (t−win, t].
func (f *maxFilter) update(v Bandwidth, t, win uint64) Bandwidth {
	n := filterSample{v, t}
	if v >= f.s[0].v || t-f.s[2].t > win {
		// A new maximum, or every sample kept is out of the window.
		f.reset(v, t)
		return v
	}
	switch {
	case v >= f.s[1].v:
		f.s[1], f.s[2] = n, n
	case v >= f.s[2].v:
		f.s[2] = n
	}
	age := t - f.s[0].t
	switch {
	case age > win:
		// The best left the window: the next best takes over, and if that
		// is out too, the one after it.
		f.s[0], f.s[1], f.s[2] = f.s[1], f.s[2], n
		if t-f.s[0].t > win {
			f.s[0], f.s[1] = f.s[1], f.s[2]
		}
	case f.s[1].t == f.s[0].t && age > win/4:
		// A quarter of the window passed with no second-best: take this
		// sample as the best of the later sub-windows.
		f.s[1], f.s[2] = n, n
	case f.s[2].t == f.s[1].t && age > win/2:
		f.s[2] = n
	}
	return f.s[0].v
}
