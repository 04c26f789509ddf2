package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// child is an `orders` subcommand running as a process of its own, as in
// production, its output going to a log file.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startOrders starts `<bin> <subcommand>` with env added to the benchmark's
// environment.
func startOrders(bin, subcommand, logDir string, env map[string]string) (*child, error) {
	logPath := filepath.Join(logDir, subcommand+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, subcommand) //nolint:noctx // stopped by stop(), gracefully, not by a context
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start orders %s: %w", subcommand, err)
	}
	c := &child{name: subcommand, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) process() singleProcess { return singleProcess{name: "orders " + c.name, pid: c.pid()} }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the process to shut down (SIGTERM) and kills it if it has not
// within 15 s.
func (c *child) stop() error {
	if c.exited() {
		return fmt.Errorf("orders %s had ended before it was stopped (%w); log: %s", c.name, c.exitError(), c.log)
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("orders %s did not stop within 15 s; killed", c.name)
	}
}

// waitHTTP waits until url answers 2xx, or the process ends, or timeout.
func (c *child) waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		if c.exited() {
			return fmt.Errorf("orders %s ended while starting (%w); log: %s", c.name, c.exitError(), c.log)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(ctx.Err(), fmt.Errorf("orders %s did not answer on %s within %s; log: %s", c.name, url, timeout, c.log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(ctx context.Context) (string, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// runOrders runs a short subcommand (migrate) to its end.
func runOrders(ctx context.Context, bin, subcommand string, env map[string]string) error {
	cmd := exec.CommandContext(ctx, bin, subcommand)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("orders %s: %w\n%s", subcommand, err, out)
	}
	return nil
}

// exitError is why the process ended.
func (c *child) exitError() error {
	if c.err != nil {
		return c.err
	}
	return errors.New("exit status 0")
}
