// Package memory implements the order service's ports in memory: the
// order repository and the read models the queries need. It keeps the
// same contract as adapters/postgres (one test suite runs against both),
// so application and HTTP tests run without a database, in milliseconds.
// Nothing is published: there is no outbox.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// OrderRepository keeps each order's event stream in a map. One mutex
// guards every write, which makes a write atomic the way a transaction
// makes the PostgreSQL one; fn runs outside the lock, so two writers can
// load the same version and the second to append loses, as there.
type OrderRepository struct {
	mu      sync.Mutex
	streams map[order.ID]*stream
	keys    map[string]idempotencyRecord
	inbox   map[inbox.Key]bool
	placed  int // orders added so far: the next stream's position
}

// stream is one order's events, with the event IDs and the order's place
// among all orders (newest first lists sort on it).
type stream struct {
	position int
	events   []order.RecordedEvent
	eventIDs []string
}

type idempotencyRecord struct {
	fingerprint string
	id          order.ID
}

var _ command.OrderRepository = (*OrderRepository)(nil)

// NewOrderRepository returns an empty repository.
func NewOrderRepository() *OrderRepository {
	return &OrderRepository{
		streams: map[order.ID]*stream{},
		keys:    map[string]idempotencyRecord{},
		inbox:   map[inbox.Key]bool{},
	}
}

// Add stores a new order, and its idempotency key when given. A request
// never finds its key in progress: Add holds the lock throughout.
func (r *OrderRepository) Add(_ context.Context, o *order.Order, key *command.IdempotencyKey) (order.ID, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key != nil {
		if earlier, ok := r.keys[key.Key]; ok {
			if earlier.fingerprint != key.Fingerprint {
				return "", false, command.ErrIdempotencyKeyReused
			}
			return earlier.id, true, nil
		}
	}
	if _, exists := r.streams[o.ID()]; exists {
		return "", false, fmt.Errorf("order %s exists: %w", o.ID(), command.ErrConcurrentUpdate)
	}
	r.placed++
	s := &stream{position: r.placed}
	s.append(o.Changes())
	r.streams[o.ID()] = s
	if key != nil {
		r.keys[key.Key] = idempotencyRecord{fingerprint: key.Fingerprint, id: o.ID()}
	}
	return o.ID(), false, nil
}

// Update loads the order, lets fn change it, and appends what fn recorded
// if nobody appended meanwhile and msg (when set) is not in the inbox.
func (r *OrderRepository) Update(ctx context.Context, id order.ID, msg inbox.Key, fn func(ctx context.Context, o *order.Order) error) error {
	o, err := r.load(id)
	if err != nil {
		return err
	}
	if err := fn(ctx, o); err != nil {
		return err
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.streams[id]
	changes := o.Changes()
	if loaded := o.Version() - len(changes); len(s.events) != loaded {
		return fmt.Errorf("order %s: loaded version %d, stored %d: %w", id, loaded, len(s.events), command.ErrConcurrentUpdate)
	}
	if !msg.IsZero() {
		if r.inbox[msg.Message()] {
			return fmt.Errorf("%s, message %s: %w", msg.Consumer, msg.MessageID, inbox.ErrDuplicate)
		}
		r.inbox[msg.Message()] = true
	}
	s.append(changes)
	return nil
}

// load rebuilds the order from a copy of its stream.
func (r *OrderRepository) load(id order.ID) (*order.Order, error) {
	r.mu.Lock()
	s, ok := r.streams[id]
	var history []order.RecordedEvent
	if ok {
		history = append(history, s.events...)
	}
	r.mu.Unlock()
	if !ok {
		return nil, order.ErrNotFound
	}
	return order.FromHistory(id, history)
}

// Len returns how many orders and events the repository holds: what tests
// check to see that a refused request wrote nothing.
func (r *OrderRepository) Len() (orders, events int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.streams {
		events += len(s.events)
	}
	return len(r.streams), events
}

func (s *stream) append(events []order.RecordedEvent) {
	for _, e := range events {
		s.events = append(s.events, e)
		s.eventIDs = append(s.eventIDs, uuid.NewString())
	}
}
