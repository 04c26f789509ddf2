package main

import (
	"net"
	"os"
	"strconv"
	"testing"
)

func TestListenerIsTheProcessListeningOnThePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if pid, err := listener(port); err != nil || pid != os.Getpid() {
		t.Errorf("listener(%s) = %d, %v; want this process, %d", port, pid, err, os.Getpid())
	}
	_ = l.Close()
	if pid, err := listener(port); err == nil {
		t.Errorf("listener(%s) after close = %d, want an error", port, pid)
	}
}
