package main

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
	app "github.com/orderflow/orders/app/order"
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
	db, rec, err := openRecorded(url, 1)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()

	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: box}, nil)
	if err != nil {
		return nil, err
	}
	application, err := service.NewApplication(db, pub, topic, service.Telemetry{})
	if err != nil {
		return nil, err
	}
	if err := postOrder(ctx, application, orderBody()); err != nil {
		return nil, err
	}
	for _, tx := range rec.committed() {
		if !tx.Standalone {
			return tx.Statements, nil
		}
	}
	return nil, errors.New("capture: the order was written outside a transaction, or not at all")
}

// openRecorded opens a pool of at most conns connections on the database at
// url whose transactions the returned log records.
func openRecorded(url string, conns int) (*sql.DB, *transactionLog, error) {
	connector, err := pq.NewConnector(url)
	if err != nil {
		return nil, nil, err
	}
	rec := &transactionLog{}
	db := testenv.OpenObserved(connector, rec)
	db.SetMaxOpenConns(conns)
	return db, rec, nil
}

// postOrder places the order body through the API's HTTP handler on
// application, as `orders api` does.
func postOrder(ctx context.Context, application app.Application, body []byte) error {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	w := httptest.NewRecorder()
	httpapi.NewHandler(application, httpauth.Development(), nil).ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		return fmt.Errorf("capture: POST /orders answered %d: %s", w.Code, w.Body)
	}
	return nil
}

// capturedTx is one committed transaction as it ran, or one statement
// sent outside any transaction (PostgreSQL commits it on its own).
type capturedTx struct {
	Statements []statement
	Standalone bool
}

// transactionLog keeps, in order, the transactions that commit on the
// connections of an observed pool and the statements sent outside one,
// prepared or not (the stores prepare them, pgtx.Statements), with their
// arguments. It tells transactions apart by time only: its pool must run
// one transaction at a time.
type transactionLog struct {
	mu         sync.Mutex
	current    []statement
	done       []capturedTx
	rolledBack int
}

func (l *transactionLog) Begun() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current = nil
}

func (l *transactionLog) Sent(sent testenv.Sent, args []driver.NamedValue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := statement{Query: sent.Query}
	for _, a := range args {
		s.Args = append(s.Args, a.Value)
	}
	if !sent.InTx {
		l.done = append(l.done, capturedTx{Statements: []statement{s}, Standalone: true})
		return
	}
	l.current = append(l.current, s)
}

func (l *transactionLog) Ended(committed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if committed {
		l.done = append(l.done, capturedTx{Statements: l.current})
	} else {
		l.rolledBack++
	}
	l.current = nil
}

// committed returns what committed so far.
func (l *transactionLog) committed() []capturedTx {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// reset forgets everything so far.
func (l *transactionLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current, l.done, l.rolledBack = nil, nil, 0
}
