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
)

const usage = `usage: orders <command>

commands:
  all       run the HTTP API, the outbox forwarder, the inventory, the
            payment service and the order saga in one process
  api       run the HTTP API
  forward   run the outbox forwarder (outbox -> Kafka)
  inventory run the inventory service: order events consumer, its outbox
            forwarder and its API (INVENTORY_HTTP_ADDR)
  payment   run the payment service: order events consumer, its outbox
            forwarder and its API (PAYMENT_HTTP_ADDR)
  saga      run the order saga: inventory and payment outcomes -> orders
  parked    list the messages the consumers parked (-consumer NAME)
  migrate   apply database migrations and create the Kafka topic
  outbox    inspect and mend the outbox: status, repair, reshard, dead-letters
  rebuild-read-models
            replay the event store into fresh read models
  tail      print the order events on Kafka (-follow to keep reading)

Configuration comes from the environment; see README.md.`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration:", err)
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))

	if err := runUntilSignalled(cfg, os.Args[1], os.Args[2:]); err != nil {
		slog.Error("orders "+os.Args[1]+" failed", "err", err)
		os.Exit(1)
	}
}

// runUntilSignalled runs a command until it ends or SIGINT/SIGTERM asks
// it to shut down gracefully.
func runUntilSignalled(cfg config, cmd string, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg, cmd, args)
}

func run(ctx context.Context, cfg config, cmd string, args []string) error {
	switch cmd {
	case "all":
		return runAll(ctx, cfg)
	case "api":
		return runAPI(ctx, cfg)
	case "forward":
		return runForwarder(ctx, cfg)
	case "inventory":
		return runInventory(ctx, cfg)
	case "payment":
		return runPayment(ctx, cfg)
	case "saga":
		return runSaga(ctx, cfg)
	case "parked":
		return runParked(ctx, cfg, args)
	case "migrate":
		return runMigrate(ctx, cfg)
	case "outbox":
		return runOutbox(ctx, cfg, args)
	case "rebuild-read-models":
		return runRebuild(ctx, cfg)
	case "tail":
		return runTail(ctx, cfg, args)
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return errors.New("unknown command " + cmd + "\n" + usage)
	}
}
