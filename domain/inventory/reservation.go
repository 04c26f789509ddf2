package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is where a reservation stands:
//
//	held ──order cancelled──> released
//	  └──order shipped──────> committed
//	rejected (nothing held; final)
type Status string

const (
	StatusHeld      Status = "held"
	StatusRejected  Status = "rejected"
	StatusReleased  Status = "released"
	StatusCommitted Status = "committed"
)

func (s Status) String() string { return string(s) }

func (s Status) valid() bool {
	switch s {
	case StatusHeld, StatusRejected, StatusReleased, StatusCommitted:
		return true
	}
	return false
}

// MaxLines bounds the lines of one reservation, as the order does.
const MaxLines = 100

// Stock is the items one operation works on, by SKU: the repository loads
// (and locks) every SKU the operation names. A SKU missing from it has no
// stock.
type Stock map[string]*Item

func (s Stock) item(sku string) *Item {
	if it, ok := s[sku]; ok {
		return it
	}
	it := NoStock(sku)
	s[sku] = it
	return it
}

// Reservation is the inventory's aggregate for one order: the lines it
// holds and where it stands. Its behaviour changes the stock items it is
// given and records the events to publish.
type Reservation struct {
	orderID string
	lines   []Line
	status  Status
	reason  string

	changes []RecordedEvent
}

// Reserve holds every line of an order, or none: when a SKU's available
// units fall short of its quantity the reservation is rejected with the
// shortages and no stock changes. Lines of one SKU are added up first.
func Reserve(orderID string, lines []Line, stock Stock, now time.Time) (*Reservation, error) {
	merged, err := mergeLines(orderID, lines)
	if err != nil {
		return nil, err
	}
	r := &Reservation{orderID: orderID, lines: merged}

	var short []Shortage
	for _, l := range merged {
		if it := stock.item(l.SKU); it.Available() < l.Quantity {
			short = append(short, Shortage{SKU: l.SKU, Requested: l.Quantity, Available: max(it.Available(), 0)})
		}
	}
	if len(short) > 0 {
		r.status = StatusRejected
		r.reason = shortageReason(short)
		r.record(now, StockRejected{Reason: r.reason, Shortages: short})
		return r, nil
	}
	for _, l := range merged {
		stock.item(l.SKU).hold(l.Quantity)
	}
	r.status = StatusHeld
	r.record(now, StockReserved{Lines: slices.Clone(merged)})
	return r, nil
}

// RestoreReservation returns a reservation as stored.
func RestoreReservation(orderID string, lines []Line, status Status, reason string) (*Reservation, error) {
	if !status.valid() {
		return nil, fmt.Errorf("reservation of order %s: unknown status %q", orderID, status)
	}
	return &Reservation{orderID: orderID, lines: slices.Clone(lines), status: status, reason: reason}, nil
}

// Release makes the held units available again, because the order was
// cancelled. A rejected or already released reservation holds nothing:
// releasing it changes nothing and records nothing.
func (r *Reservation) Release(stock Stock, now time.Time) error {
	switch r.status {
	case StatusRejected, StatusReleased:
		return nil
	case StatusHeld:
	default:
		return &TransitionError{Action: "release", From: r.status}
	}
	for _, l := range r.lines {
		it := stock.item(l.SKU)
		if it.Reserved() < l.Quantity {
			return fmt.Errorf("release order %s: SKU %s holds %d reserved units, fewer than the %d of this reservation", r.orderID, l.SKU, it.Reserved(), l.Quantity)
		}
		it.release(l.Quantity)
	}
	r.status = StatusReleased
	r.record(now, StockReleased{Lines: slices.Clone(r.lines)})
	return nil
}

// Commit takes the held units out of the warehouse: the order shipped.
func (r *Reservation) Commit(stock Stock, now time.Time) error {
	if r.status != StatusHeld {
		return &TransitionError{Action: "commit", From: r.status}
	}
	for _, l := range r.lines {
		it := stock.item(l.SKU)
		if it.Reserved() < l.Quantity {
			return fmt.Errorf("commit order %s: SKU %s holds %d reserved units, fewer than the %d of this reservation", r.orderID, l.SKU, it.Reserved(), l.Quantity)
		}
		it.ship(l.Quantity)
	}
	r.status = StatusCommitted
	r.record(now, StockCommitted{Lines: slices.Clone(r.lines)})
	return nil
}

func (r *Reservation) record(now time.Time, e Event) {
	r.changes = append(r.changes, RecordedEvent{OccurredAt: now.UTC(), Event: e})
}

// OrderID returns the order the reservation is for.
func (r *Reservation) OrderID() string { return r.orderID }

// Lines returns the reservation's lines, one per SKU, sorted by SKU.
func (r *Reservation) Lines() []Line { return slices.Clone(r.lines) }

// SKUs returns the SKUs of the lines, sorted.
func (r *Reservation) SKUs() []string { return skus(r.lines) }

// Status returns where the reservation stands.
func (r *Reservation) Status() Status { return r.status }

// Reason returns why the reservation was rejected.
func (r *Reservation) Reason() string { return r.reason }

// Changes returns the events recorded since the reservation was loaded.
func (r *Reservation) Changes() []RecordedEvent { return slices.Clone(r.changes) }

// SKUsOf returns the distinct SKUs of lines, sorted: the order in which a
// repository locks them, so that concurrent reservations cannot deadlock.
func SKUsOf(lines []Line) []string { return skus(lines) }

func skus(lines []Line) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, l.SKU)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mergeLines validates lines and adds up the quantities of each SKU,
// sorted by SKU.
func mergeLines(orderID string, lines []Line) ([]Line, error) {
	var v validation
	if strings.TrimSpace(orderID) == "" {
		v.add("order_id", "must not be empty")
	}
	switch {
	case len(lines) == 0:
		v.add("lines", "must contain at least one line")
	case len(lines) > MaxLines:
		v.add("lines", "must contain at most %d lines", MaxLines)
	}
	sums := map[string]int64{}
	for i, l := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		validSKU(l.SKU, field+".sku", &v)
		if l.Quantity <= 0 || l.Quantity > MaxOnHand {
			v.add(field+".quantity", "must be between 1 and %d", MaxOnHand)
			continue
		}
		sums[l.SKU] += l.Quantity
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	merged := make([]Line, 0, len(sums))
	for sku, q := range sums {
		merged = append(merged, Line{SKU: sku, Quantity: q})
	}
	slices.SortFunc(merged, func(a, b Line) int { return strings.Compare(a.SKU, b.SKU) })
	return merged, nil
}

func shortageReason(short []Shortage) string {
	parts := make([]string, len(short))
	for i, s := range short {
		parts[i] = fmt.Sprintf("%s: %d requested, %d available", s.SKU, s.Requested, s.Available)
	}
	return "insufficient stock: " + strings.Join(parts, "; ")
}
