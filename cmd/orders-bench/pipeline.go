package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// pipeline is the whole service as separate processes on one fresh
// database and fresh topics: the API, the forwarder and the consumers.
type pipeline struct {
	e         *environment
	db        database
	env       map[string]string
	api       *api
	children  []*child // api first, then forwarder, then the consumers
	inventory string   // base URL of the inventory API
	topic     string   // order events, with the broker's append time
	groups    []string // the consumer groups, as allConsumers
}

// allConsumers are the consumer processes in the order they start.
var allConsumers = []string{"inventory", "payment", "saga"}

// preparePipeline creates the pipeline's fresh database (migrated) and
// topics, and names its consumer groups; nothing runs yet. shards > 0
// gives the orders outbox that many shards instead of the default.
func preparePipeline(ctx context.Context, e *environment, shards int) (_ *pipeline, err error) {
	p := &pipeline{e: e}
	if p.db, err = e.newDatabase(ctx, "e2e"); err != nil {
		return nil, err
	}
	if p.topic, err = e.newTopic("orders", e.partitions, true); err != nil {
		return nil, err
	}
	topics := map[string]string{"ORDERS_TOPIC": p.topic}
	for _, name := range []string{"INVENTORY_TOPIC", "PAYMENTS_TOPIC", "INVENTORY_DEAD_LETTER_TOPIC", "PAYMENT_DEAD_LETTER_TOPIC", "SAGA_DEAD_LETTER_TOPIC"} {
		if topics[name], err = e.newTopic(strings.ToLower(strings.TrimSuffix(name, "_TOPIC")), e.partitions, false); err != nil {
			return nil, err
		}
	}
	suffix := testenv.RandomSuffix()
	for _, c := range allConsumers {
		group := "ordersbench-" + suffix + "-" + c
		topics[strings.ToUpper(c)+"_CONSUMER_GROUP"] = group
		p.groups = append(p.groups, group)
		e.cleanups = append(e.cleanups, func() { _ = e.deleteGroup(group) })
	}
	p.env = e.serviceEnv(p.db, topics)
	if err := runOrders(ctx, e.ordersBin, "migrate", p.env); err != nil {
		return nil, err
	}
	if shards > 0 {
		p.env["OUTBOX_SHARDS"] = strconv.Itoa(shards)
		return p, reshard(ctx, p.db, shards)
	}
	return p, nil
}

func startPipeline(ctx context.Context, e *environment, consumers []string, shards int) (_ *pipeline, err error) {
	p, err := preparePipeline(ctx, e, shards)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.stop()
		}
	}()
	if p.api, err = startAPI(ctx, e, p.db, p.topic, map[string]string{"OUTBOX_SHARDS": p.env["OUTBOX_SHARDS"]}); err != nil {
		return nil, err
	}
	p.children = append(p.children, p.api.child)
	if _, err := p.start(ctx, "forwarder", "METRICS_ADDR", "/metrics"); err != nil {
		return nil, err
	}
	for _, c := range consumers {
		switch c {
		case "inventory":
			if p.inventory, err = p.start(ctx, c, "INVENTORY_HTTP_ADDR", "/healthz"); err != nil {
				return nil, err
			}
		case "payment":
			if _, err = p.start(ctx, c, "PAYMENT_HTTP_ADDR", "/healthz"); err != nil {
				return nil, err
			}
		case "saga":
			if _, err = p.start(ctx, c, "", ""); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown consumer %q (want %v)", c, allConsumers)
		}
	}
	if p.inventory == "" {
		return p, nil
	}
	return p, p.stockUp(ctx)
}

// start starts a subcommand; with addrVar it serves HTTP on a free port and
// is ready when path answers.
func (p *pipeline) start(ctx context.Context, subcommand, addrVar, path string) (string, error) {
	env := map[string]string{}
	for k, v := range p.env {
		env[k] = v
	}
	var base string
	if addrVar != "" {
		addr, err := freeAddr(ctx)
		if err != nil {
			return "", err
		}
		env[addrVar] = addr
		base = "http://" + addr
	}
	c, err := startOrders(p.e.ordersBin, subcommand, p.e.dir, env)
	if err != nil {
		return "", err
	}
	p.children = append(p.children, c)
	if addrVar != "" {
		return base, c.waitHTTP(ctx, base+path, 60*time.Second)
	}
	return "", nil
}

// stockUp gives every SKU of the catalogue plenty of stock.
func (p *pipeline) stockUp(ctx context.Context) error {
	for i := range skus {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.inventory+"/inventory/stock/"+skuName(i),
			strings.NewReader(`{"on_hand": 1000000000}`))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authorization)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("set stock of %s: %s", skuName(i), resp.Status)
		}
	}
	return nil
}

// processes are the pipeline's processes, for CPU and memory.
func (p *pipeline) processes() []singleProcess {
	out := make([]singleProcess, 0, len(p.children))
	for _, c := range p.children {
		out = append(out, c.process())
	}
	return out
}

// check fails when a process has ended by itself.
func (p *pipeline) check() error {
	for _, c := range p.children {
		if c.exited() {
			return fmt.Errorf("orders %s ended during the run (%w); log: %s", c.name, c.exitError(), c.log)
		}
	}
	return nil
}

func (p *pipeline) stop() {
	var wg sync.WaitGroup
	for _, c := range p.children {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.stop()
		}()
	}
	wg.Wait()
}

// deleteGroup removes a consumer group of the run from the broker.
func (e *environment) deleteGroup(group string) error {
	admin, err := e.clusterAdmin()
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	return admin.DeleteConsumerGroup(group)
}
