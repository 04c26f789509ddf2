package systemtest

import (
	"testing"
	"time"
)

// scale is the size of every scenario's run: -short gives the versions
// `make test` runs, without it the long ones their own targets run
// (Makefile: test-chaos, test-rolling-restart, chaos).
type scale struct {
	chaos     chaosScale     // TestChaos
	forwarder forwarderScale // TestForwarderSurvives*
	scaleOut  scaleOutLoad   // TestConsumersScaleOut

	rollingRounds, rollingRate int // TestRollingRestartUnderLoad: rounds of restarts, orders per second
	freezes                    int // TestRepeatedFreezesLoseNothing
}

// chaosScale is the load and the faults' lengths of a chaos scenario.
type chaosScale struct {
	rate                  int // orders per second
	warmup, gap, cooldown time.Duration
	kills                 int
	brokerDown, outage    time.Duration
	longTx, slow, freeze  time.Duration
	cut                   time.Duration
	settle                time.Duration // the most each order may take to end after the last fault
}

// forwarderScale is the writes and faults of a forwarder scenario.
type forwarderScale struct {
	orders, versions int
	pause            time.Duration // between two writes of one writer
	kills            int
	kafkaOutage      time.Duration
}

// scaleOutLoad is a burst of orders and, during it, the instances killed and added.
type scaleOutLoad struct {
	orders int
	rate   int // orders per second
	cycles int // of: kill one instance of each consumer, then add one
}

func runScale() scale {
	if testing.Short() {
		return scale{
			chaos: chaosScale{rate: 5, warmup: 5 * time.Second, gap: 3 * time.Second, cooldown: 5 * time.Second, kills: 5,
				brokerDown: 10 * time.Second, outage: 10 * time.Second, longTx: 15 * time.Second, slow: 15 * time.Second,
				freeze: 10 * time.Second, cut: 10 * time.Second, settle: 5 * time.Minute},
			// The writes take about 1.5 s, so that the kill (at 0.3 s), the
			// outage (from 0.5 s) and the restart (at 0.7 s) happen during them.
			forwarder:     forwarderScale{orders: 200, versions: 3, pause: 50 * time.Millisecond, kills: 1, kafkaOutage: 5 * time.Second},
			scaleOut:      scaleOutLoad{orders: 300, rate: 30, cycles: 1},
			rollingRounds: 1, rollingRate: 20,
			freezes: 2,
		}
	}
	return scale{
		chaos: chaosScale{rate: 10, warmup: 15 * time.Second, gap: 10 * time.Second, cooldown: 15 * time.Second, kills: 10,
			brokerDown: 30 * time.Second, outage: 30 * time.Second, longTx: 60 * time.Second, slow: 60 * time.Second,
			freeze: 30 * time.Second, cut: 30 * time.Second, settle: 10 * time.Minute},
		forwarder:     forwarderScale{orders: 2000, versions: 3, pause: 5 * time.Millisecond, kills: 8, kafkaOutage: 30 * time.Second},
		scaleOut:      scaleOutLoad{orders: 3000, rate: 50, cycles: 3},
		rollingRounds: 3, rollingRate: 20,
		freezes: 5,
	}
}
