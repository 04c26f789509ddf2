// Command orders runs the order service: its HTTP API, the outbox
// forwarder, the migrations, or all of them in one process for local use.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	gometrics "github.com/rcrowley/go-metrics"
)

const usage = `usage: orders <command>

commands:
  all       run the HTTP API, the outbox forwarder, the inventory, the
            payment service and the order saga in one process
  api       run the HTTP API
  forwarder run the outbox forwarder (outbox -> Kafka); the old name
            forward works until the next release, with a warning
  inventory run the inventory service: order events consumer, its outbox
            forwarder and its API (INVENTORY_HTTP_ADDR)
  payment   run the payment service: order events consumer, its outbox
            forwarder and its API (PAYMENT_HTTP_ADDR)
  saga      run the order saga: inventory and payment outcomes -> orders
  parked    list the messages the consumers parked (-consumer NAME);
            parked release ORDER_ID: hand an order's parked messages to
            their consumers again, in order, and unpark it
  migrate   apply database migrations and create the Kafka topic
  outbox    inspect and mend the outbox: status, repair, reshard, dead-letters
  rebuild-read-models
            replay the event store into fresh read models
  tail      print the order events on Kafka (-follow to keep reading)
  token     print a bearer token for the APIs:
            token --customer ID [--role customer|operator] [--ttl 1h]

Configuration comes from the environment; see README.md.`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	// Every variable that does not parse and every setting out of range,
	// all at once.
	cfg, err := loadConfig(os.Getenv)
	cfg.setDefaults()
	if err = errors.Join(err, cfg.Validate()); err != nil {
		fmt.Fprintln(os.Stderr, "configuration (see README.md):\n"+err.Error())
		os.Exit(2)
	}
	// Sarama's own client metrics feed a registry nothing reads (the
	// service exports Prometheus metrics), at a cost on every request.
	gometrics.UseNilMetrics = true
	logger := newLogger(cfg.Log, os.Stderr)
	// Packages that log through slog's package functions log the same way.
	slog.SetDefault(logger)
	warnDeprecated(cfg, logger)

	if err := runUntilSignalled(cfg, logger, os.Args[1], os.Args[2:]); err != nil {
		logger.Error("orders "+os.Args[1]+" failed", "err", err)
		os.Exit(1)
	}
}

// runUntilSignalled runs a command until it ends or SIGINT/SIGTERM asks
// it to shut down gracefully.
func runUntilSignalled(cfg Config, logger *slog.Logger, cmd string, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	return run(ctx, cfg, logger, cmd, args)
}

// commands are the subcommands that work on the databases: run opens a
// pool per distinct database of their services for them (databases.go).
var commands = map[string]func(ctx context.Context, r *resources, args []string) error{
	"all":                 noArgs(runAll),
	"api":                 noArgs(runAPI),
	"forwarder":           noArgs(runForwarder),
	"inventory":           noArgs(runInventory),
	"payment":             noArgs(runPayment),
	"saga":                noArgs(runSaga),
	"parked":              runParked,
	"migrate":             noArgs(runMigrate),
	"outbox":              runOutbox,
	"rebuild-read-models": noArgs(runRebuild),
}

func run(ctx context.Context, cfg Config, logger *slog.Logger, cmd string, args []string) error {
	cmd = currentCommand(cmd, logger)
	r := &resources{cfg: cfg, logger: logger}
	switch cmd {
	case "tail":
		return runTail(ctx, r, args)
	case "token":
		return runToken(cfg.Auth, args, os.Stdout, os.Stderr)
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	}
	runner, ok := commands[cmd]
	if !ok {
		return errors.New("unknown command " + cmd + "\n" + usage)
	}
	stopTracing, err := startTracing(ctx, cmd, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	if servesHTTP(cmd) {
		var err error
		if r.auth, err = cfg.Auth.authenticator(ctx, logger); err != nil {
			return err
		}
	}
	pools, closePools, err := openPools(ctx, cmd, cfg.Database)
	if err != nil {
		return err
	}
	defer closePools()
	r.pools, r.db = pools, pools[ordersService]
	// The pools' check counts the outboxes' shards: the databases' (the
	// orders outbox's when OUTBOX_SHARDS is unset).
	if err := r.resolveOutboxShards(ctx, cmd); err != nil {
		return err
	}
	if err := checkPool(cmd, r.cfg); err != nil {
		return err
	}
	if err := r.newMetrics(cmd); err != nil {
		return err
	}
	servePprof(ctx, cfg.HTTP.Pprof, logger)
	if !runsServices(cmd) {
		return runner(ctx, r, args)
	}
	var ready *readiness
	if cfg.HTTP.Metrics != "off" {
		ready = newReadiness(r, cmd)
		stopOps, err := serveOps(ctx, cfg.HTTP.Metrics, r.registry, ready)
		if err != nil {
			return err
		}
		defer stopOps() // last: /metrics and /readyz answer through the shutdown
	}
	return runGracefully(ctx, r, ready, func(ctx context.Context) error { return runner(ctx, r, args) })
}

func noArgs(fn func(context.Context, *resources) error) func(context.Context, *resources, []string) error {
	return func(ctx context.Context, r *resources, _ []string) error { return fn(ctx, r) }
}
