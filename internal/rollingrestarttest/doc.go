// Package rollingrestarttest restarts every process of a running system,
// one by one, under a steady load of orders: two API instances behind a
// client that retries a refused connection or a 503 on the other one,
// the forwarder, the inventory, the payment service and the saga. Each
// gets SIGTERM and must end by itself, with status 0, within its grace
// period. Afterwards no request failed that a client would not retry, no
// message was lost or applied twice, and every order ended. The short
// version (-short, in `make test`) restarts each process once; without
// -short (`make test-rolling-restart`) three rounds under a longer load.
package rollingrestarttest
