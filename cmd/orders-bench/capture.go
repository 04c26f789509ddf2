package main

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
	"github.com/orderflow/orders/ports/httpauth"
)

// statement is one SQL statement as the service sent it, with its
// arguments.
type statement struct {
	Query string
	Args  []driver.Value
}

// captureOrderWrite places one order through the service's own HTTP
// handler and repository on a recording database driver, and returns the
// statements of the transaction that wrote it: the same code as the API
// process, so the statements follow the code when it changes.
func captureOrderWrite(ctx context.Context, url, topic string, box outbox.Config) ([]statement, error) {
	connector, err := pq.NewConnector(url)
	if err != nil {
		return nil, err
	}
	rec := &recorder{}
	db := testenv.OpenObserved(connector, rec)
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(1)

	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: box}, nil)
	if err != nil {
		return nil, err
	}
	application, err := service.NewApplication(db, pub, topic, service.Telemetry{})
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/orders", bytes.NewReader(orderBody()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	w := httptest.NewRecorder()
	httpapi.NewHandler(application, httpauth.Development(), nil).ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		return nil, fmt.Errorf("capture: POST /orders answered %d: %s", w.Code, w.Body)
	}
	stmts := rec.transaction()
	if len(stmts) == 0 {
		return nil, errors.New("capture: the order was written outside a transaction, or not at all")
	}
	return stmts, nil
}

// recorder keeps the statements of the first transaction that commits,
// prepared or not (the write path prepares them, pgtx.Statements), with
// their arguments.
type recorder struct {
	mu        sync.Mutex
	inTx      bool
	current   []statement
	committed []statement
}

func (r *recorder) Begun() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inTx, r.current = true, nil
}

func (r *recorder) Sent(sent testenv.Sent, args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.inTx {
		return
	}
	s := statement{Query: sent.Query}
	for _, a := range args {
		s.Args = append(s.Args, a.Value)
	}
	r.current = append(r.current, s)
}

func (r *recorder) Ended(committed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if committed && r.committed == nil {
		r.committed = r.current
	}
	r.inTx, r.current = false, nil
}

func (r *recorder) transaction() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}
