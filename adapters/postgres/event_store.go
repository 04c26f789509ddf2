package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// streamVersionConstraint is the unique (stream_id, version) constraint.
const streamVersionConstraint = "order_events_stream_version_key"

// queryer is what loading needs: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// appendAndProject stores an order's new events in the store's own format
// and writes its read model row, in one statement (one round trip), and
// returns the events with their new event IDs. A stale expected version
// surfaces as command.ErrConcurrentUpdate through the unique (stream_id,
// version); the statement then fails as a whole, read model included.
func appendAndProject(ctx context.Context, uow *pgtx.UnitOfWork, o *order.Order, events []order.RecordedEvent) ([]storedEvent, error) {
	id := o.ID()
	args, err := readModelRow(o)
	if err != nil {
		return nil, err
	}
	stored, columns, err := newStoredEvents(id, events)
	if err != nil {
		return nil, err
	}
	for _, c := range columns {
		args = append(args, c...)
	}
	_, err = uow.ExecContext(ctx, appendAndProjectQuery(len(events)), args...)
	if isUniqueViolation(err, streamVersionConstraint) {
		return nil, fmt.Errorf("append version %d to order %s: %w", events[0].Version, id, command.ErrConcurrentUpdate)
	}
	if err != nil {
		return nil, fmt.Errorf("append events to order %s: %w", id, err)
	}
	return stored, nil
}

// newStoredEvents gives an order's new events their IDs, and their columns
// in order_events (the seven after readModelParams in the statement).
func newStoredEvents(id order.ID, events []order.RecordedEvent) ([]storedEvent, [][]any, error) {
	stored := make([]storedEvent, 0, len(events))
	columns := make([][]any, 0, len(events))
	for _, re := range events {
		eventType, schemaVersion, data, err := encodeEvent(re.Event)
		if err != nil {
			return nil, nil, err
		}
		e := storedEvent{EventID: uuid.NewString(), RecordedEvent: re}
		columns = append(columns, []any{e.EventID, string(id), re.Version, eventType, schemaVersion, data, re.OccurredAt})
		stored = append(stored, e)
	}
	return stored, columns, nil
}

// appendAndProjectQueries holds the statement for the usual event counts,
// so that a write does not build its text.
var appendAndProjectQueries = func() []string {
	qs := make([]string, 5)
	for n := 1; n < len(qs); n++ {
		qs[n] = buildAppendAndProjectQuery(n)
	}
	return qs
}()

func appendAndProjectQuery(events int) string {
	if events < len(appendAndProjectQueries) {
		return appendAndProjectQueries[events]
	}
	return buildAppendAndProjectQuery(events)
}

// buildAppendAndProjectQuery is the insert of n events with the read
// model's upsert in a WITH: its twelve parameters come first, then seven
// per event. Every writer runs this statement, so all take their row
// locks in the same order (the executor runs the main insert before an
// unreferenced WITH), as they did with two statements: events first.
func buildAppendAndProjectQuery(events int) string {
	var b strings.Builder
	b.WriteString("WITH read_model AS (" + upsertReadModel + ")\n")
	b.WriteString("INSERT INTO order_events (event_id, stream_id, version, event_type, schema_version, data, occurred_at) VALUES ")
	for i := range events {
		if i > 0 {
			b.WriteString(", ")
		}
		p := readModelParams + 7*i
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+5, p+6, p+7)
	}
	return b.String()
}

// storedEvent is an event as the store holds it: its ID and its place in
// the order's stream, decoded into the current domain event.
type storedEvent struct {
	EventID string
	order.RecordedEvent
}

// loadEvents returns an order's events, oldest first, upcast to the
// current schema; none when the order does not exist.
func loadEvents(ctx context.Context, q queryer, id order.ID) ([]storedEvent, error) {
	if !isOrderID(string(id)) {
		return nil, nil // no stream has an ID that is not a UUID
	}
	histories, err := scanEvents(ctx, q, `
		SELECT stream_id::text, event_id, version, event_type, schema_version, data, occurred_at
		FROM order_events WHERE stream_id = $1 ORDER BY version`, string(id))
	if err != nil {
		return nil, fmt.Errorf("load events of order %s: %w", id, err)
	}
	return histories[id], nil
}

// loadEventsOfOrders is loadEvents for several orders in one statement.
func loadEventsOfOrders(ctx context.Context, q queryer, ids []order.ID) (map[order.ID][]storedEvent, error) {
	streams := make([]string, 0, len(ids))
	for _, id := range ids {
		if isOrderID(string(id)) {
			streams = append(streams, string(id))
		}
	}
	histories, err := scanEvents(ctx, q, `
		SELECT stream_id::text, event_id, version, event_type, schema_version, data, occurred_at
		FROM order_events WHERE stream_id = ANY($1::uuid[]) ORDER BY stream_id, version`, pq.Array(streams))
	if err != nil {
		return nil, fmt.Errorf("load events of %d orders: %w", len(streams), err)
	}
	return histories, nil
}

// scanEvents runs query, whose rows are events with their stream's ID
// first, in each stream's order, and decodes them.
func scanEvents(ctx context.Context, q queryer, query string, args ...any) (_ map[order.ID][]storedEvent, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()

	histories := map[order.ID][]storedEvent{}
	for rows.Next() {
		var (
			e             storedEvent
			stream        string
			eventType     string
			schemaVersion int
			data          []byte
			occurredAt    time.Time
		)
		if err := rows.Scan(&stream, &e.EventID, &e.Version, &eventType, &schemaVersion, &data, &occurredAt); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		id := order.ID(stream)
		if e.Event, err = decodeEvent(eventType, schemaVersion, data); err != nil {
			return nil, fmt.Errorf("order %s version %d: %w", id, e.Version, err)
		}
		e.OccurredAt = occurredAt.UTC()
		histories[id] = append(histories[id], e)
	}
	return histories, rows.Err()
}

func isUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == constraint
}

// loadOrder rebuilds an order from its events: order.ErrNotFound when the
// stream is empty.
func loadOrder(ctx context.Context, q queryer, id order.ID) (*order.Order, error) {
	stored, err := loadEvents(ctx, q, id)
	if err != nil {
		return nil, err
	}
	history := make([]order.RecordedEvent, len(stored))
	for i, e := range stored {
		history[i] = e.RecordedEvent
	}
	return order.FromHistory(id, history)
}
