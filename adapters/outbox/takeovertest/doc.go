// Package takeovertest runs `orders forward` processes of its own against a
// test database and topic of its own (never the shared services' state) and
// freezes one with SIGSTOP: the standby must take the frozen relay's shards
// over within 10 s, the frozen one must stop forwarding once resumed, and
// nothing may be lost or reordered (docs/forwarder.md, Guarantees). The
// short test runs in `make test`; the repeated one is behind the chaos tag.
package takeovertest
