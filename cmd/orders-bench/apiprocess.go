package main

import (
	"context"
	"time"
)

// api is an `orders api` process and the address it serves.
type api struct {
	*child
	base    string
	pprof   string // net/http/pprof's base URL, when started with PPROF_ADDR
	metrics string // the metrics listener's base URL, when started with METRICS_ADDR
}

// startAPI starts `orders api` on db; extra adds to its environment (an
// empty value is left out).
func startAPI(ctx context.Context, e *environment, db database, topic string, extra map[string]string) (*api, error) {
	addr, err := freeAddr(ctx)
	if err != nil {
		return nil, err
	}
	env := e.serviceEnv(db, map[string]string{"ORDERS_TOPIC": topic, "HTTP_ADDR": addr})
	for k, v := range extra {
		if v != "" {
			env[k] = v
		}
	}
	c, err := startOrders(e.ordersBin, "api", e.dir, env)
	if err != nil {
		return nil, err
	}
	a := &api{child: c, base: "http://" + addr}
	if extra["PPROF_ADDR"] != "" {
		a.pprof = "http://" + extra["PPROF_ADDR"]
	}
	if err := c.waitHTTP(ctx, a.base+"/healthz", 30*time.Second); err != nil {
		_ = c.stop()
		return nil, err
	}
	return a, nil
}
