package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// PlaceOrder asks to place a new order with an ID chosen by the caller.
// IdempotencyKey, when set, makes retries of the same request safe.
type PlaceOrder struct {
	OrderID        order.ID
	Order          order.PlaceInput
	IdempotencyKey string
}

// PlaceOrderResult names the order the request stands for: the new one,
// or, for a replayed idempotent request, the one placed the first time.
type PlaceOrderResult struct {
	OrderID  order.ID
	Replayed bool
	// Order is the new order as it was stored, for an answer that needs
	// no read-back; nil for a replay (the order stored the first time may
	// have changed since: read it).
	Order *order.Order
}

// PlaceOrderHandler places orders.
type PlaceOrderHandler struct {
	repo OrderRepository
	now  func() time.Time
}

// NewPlaceOrderHandler returns a handler; now is the clock.
func NewPlaceOrderHandler(repo OrderRepository, now func() time.Time) (PlaceOrderHandler, error) {
	if repo == nil {
		return PlaceOrderHandler{}, errors.New("nil order repository")
	}
	if now == nil {
		return PlaceOrderHandler{}, errors.New("nil clock")
	}
	return PlaceOrderHandler{repo: repo, now: now}, nil
}

// Handle validates the order and stores it with its OrderPlaced event.
func (h PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) (PlaceOrderResult, error) {
	// Whole microseconds: what PostgreSQL's timestamptz keeps, so the
	// placed order answered from memory shows the times a read of it shows.
	o, err := order.Place(cmd.OrderID, cmd.Order, h.now().Truncate(time.Microsecond))
	if err != nil {
		return PlaceOrderResult{}, err
	}
	var key *IdempotencyKey
	if cmd.IdempotencyKey != "" {
		fingerprint, err := fingerprint(cmd.Order)
		if err != nil {
			return PlaceOrderResult{}, err
		}
		key = &IdempotencyKey{Key: cmd.IdempotencyKey, Fingerprint: fingerprint}
	}
	id, replayed, err := h.repo.Add(ctx, o, key)
	if err != nil {
		return PlaceOrderResult{}, err
	}
	if replayed {
		return PlaceOrderResult{OrderID: id, Replayed: true}, nil
	}
	return PlaceOrderResult{OrderID: id, Order: o}, nil
}

// fingerprint identifies a request's content: the same order input gives
// the same fingerprint, whatever the JSON's spacing or field order was.
func fingerprint(in order.PlaceInput) (string, error) {
	canonical, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("fingerprint request: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}
