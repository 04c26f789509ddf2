package main

import "testing"

func TestStealPeakIsTheHighestWindowAndWhereItBegan(t *testing.T) {
	for _, c := range []struct {
		shares []float64
		want   string
	}{
		{[]float64{0.01, 0.24, 0.05}, "24% at 10s"},
		{[]float64{0.03}, "3% at 0s"},
		{nil, "–"},
	} {
		if got := stealPeak(c.shares); got != c.want {
			t.Errorf("stealPeak(%v) = %q, want %q", c.shares, got, c.want)
		}
	}
}

func TestMachineTimesCountStealInBusy(t *testing.T) {
	busy, steal := machineTimes()
	if busy <= 0 || steal < 0 || steal > busy {
		t.Errorf("busy %v, steal %v: want busy > 0 and steal within it", busy, steal)
	}
}
