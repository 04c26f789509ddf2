package payment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/app/payment/query"
	domain "github.com/orderflow/orders/domain/payment"
)

// fakeRepository holds one order's payment and keeps what fn changed
// only when fn succeeds, as a transaction would; a message it recorded
// before fails with inbox.ErrDuplicate.
type fakeRepository struct {
	stored   *domain.Payment
	recorded map[inbox.Key]bool
}

func (r *fakeRepository) Add(_ context.Context, msg inbox.Key, p *domain.Payment) error {
	if !msg.IsZero() && r.recorded[msg] {
		return inbox.ErrDuplicate
	}
	if r.stored != nil {
		return command.ErrPaymentExists
	}
	r.stored = p
	r.record(msg)
	return nil
}

func (r *fakeRepository) AddWithoutEvents(ctx context.Context, msg inbox.Key, p *domain.Payment) error {
	if len(p.Changes()) > 0 {
		return errors.New("events recorded in an add without events")
	}
	return r.Add(ctx, msg, p)
}

func (r *fakeRepository) record(msg inbox.Key) {
	if msg.IsZero() {
		return
	}
	if r.recorded == nil {
		r.recorded = map[inbox.Key]bool{}
	}
	r.recorded[msg] = true
}

func (r *fakeRepository) Get(_ context.Context, orderID string) (*domain.Payment, error) {
	if r.stored == nil || r.stored.OrderID() != orderID {
		return nil, domain.ErrNotFound
	}
	s := r.stored // reloaded as stored: without the events of earlier updates
	return domain.Restore(s.OrderID(), s.Amount(), s.Currency(), s.Status(), s.PaymentID(), s.RefundID(), s.Reason())
}

func (r *fakeRepository) UpdateWithoutEvents(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	return r.Update(ctx, msg, orderID, func(ctx context.Context, p *domain.Payment) error {
		if err := fn(ctx, p); err != nil {
			return err
		}
		if len(p.Changes()) > 0 {
			return errors.New("events recorded in an update without events")
		}
		return nil
	})
}

func (r *fakeRepository) Update(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	if !msg.IsZero() && r.recorded[msg] {
		return inbox.ErrDuplicate
	}
	p, err := r.Get(ctx, orderID)
	if err != nil {
		return err
	}
	if err := fn(ctx, p); err != nil {
		return err
	}
	r.stored = p
	r.record(msg)
	return nil
}

// fakeGateway answers with its fields and records every call.
type fakeGateway struct {
	charge  command.ChargeResult
	refund  command.RefundResult
	err     error
	charges []command.Charge
	refunds []command.Refund
}

func (g *fakeGateway) Charge(_ context.Context, c command.Charge) (command.ChargeResult, error) {
	g.charges = append(g.charges, c)
	return g.charge, g.err
}

func (g *fakeGateway) Refund(_ context.Context, r command.Refund) (command.RefundResult, error) {
	g.refunds = append(g.refunds, r)
	return g.refund, g.err
}

func payment(t *testing.T, status domain.Status) *domain.Payment {
	t.Helper()
	paymentID := ""
	switch status {
	case domain.StatusCaptured, domain.StatusRefunding, domain.StatusRefunded:
		paymentID = "pay-1"
	}
	p, err := domain.Restore("o-1", 2598, "EUR", status, paymentID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var errGatewayDown = errors.New("gateway unreachable")

func TestChargePaymentChargesOnlyADuePaymentAndRecordsTheAnswer(t *testing.T) {
	for _, tt := range []struct {
		name        string
		status      domain.Status
		gateway     fakeGateway
		wantStatus  domain.Status
		wantErr     error
		wantCharges int
	}{
		{"due, captured", domain.StatusDue, fakeGateway{charge: command.ChargeResult{Captured: true, PaymentID: "pay-1"}}, domain.StatusCaptured, nil, 1},
		{"due, declined", domain.StatusDue, fakeGateway{charge: command.ChargeResult{DeclineReason: "card expired"}}, domain.StatusDeclined, nil, 1},
		{"due, gateway down: stays charging", domain.StatusDue, fakeGateway{err: errGatewayDown}, domain.StatusCharging, errGatewayDown, 1},
		{"charging, left by a crash: finished", domain.StatusCharging, fakeGateway{charge: command.ChargeResult{Captured: true, PaymentID: "pay-1"}}, domain.StatusCaptured, nil, 1},
		{"captured before", domain.StatusCaptured, fakeGateway{}, domain.StatusCaptured, nil, 0},
		{"voided by an earlier cancel", domain.StatusVoided, fakeGateway{}, domain.StatusVoided, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := &fakeRepository{stored: payment(t, tt.status)}
			h, err := command.NewChargePaymentHandler(repo, &tt.gateway, time.Now)
			if err != nil {
				t.Fatal(err)
			}

			status, err := h.Handle(context.Background(), command.ChargePayment{OrderID: "o-1"})

			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && status != tt.wantStatus {
				t.Errorf("answered %s, want %s", status, tt.wantStatus)
			}
			if got := repo.stored.Status(); got != tt.wantStatus {
				t.Errorf("stored %s, want %s", got, tt.wantStatus)
			}
			if len(tt.gateway.charges) != tt.wantCharges {
				t.Fatalf("charged %d times, want %d", len(tt.gateway.charges), tt.wantCharges)
			}
			if tt.wantCharges > 0 {
				want := command.Charge{IdempotencyKey: command.ChargeKey("o-1"), OrderID: "o-1", Amount: 2598, Currency: "EUR"}
				if tt.gateway.charges[0] != want {
					t.Errorf("charged %+v, want %+v", tt.gateway.charges[0], want)
				}
			}
		})
	}
}

func TestCancelPaymentRefundsACapturedPaymentAndVoidsADueOne(t *testing.T) {
	for _, tt := range []struct {
		name        string
		status      domain.Status
		gateway     fakeGateway
		wantStatus  domain.Status
		wantErr     error
		wantRefunds int
	}{
		{"due: voided without the gateway", domain.StatusDue, fakeGateway{}, domain.StatusVoided, nil, 0},
		{"captured: refunded", domain.StatusCaptured, fakeGateway{refund: command.RefundResult{RefundID: "ref-1"}}, domain.StatusRefunded, nil, 1},
		{"captured, gateway down: stays refunding", domain.StatusCaptured, fakeGateway{err: errGatewayDown}, domain.StatusRefunding, errGatewayDown, 1},
		{"refunding, left by a crash: finished", domain.StatusRefunding, fakeGateway{refund: command.RefundResult{RefundID: "ref-1"}}, domain.StatusRefunded, nil, 1},
		{"declined: nothing to give back", domain.StatusDeclined, fakeGateway{}, domain.StatusDeclined, nil, 0},
		{"refunded before", domain.StatusRefunded, fakeGateway{}, domain.StatusRefunded, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := &fakeRepository{stored: payment(t, tt.status)}
			h, err := command.NewCancelPaymentHandler(repo, &tt.gateway, time.Now)
			if err != nil {
				t.Fatal(err)
			}

			status, err := h.Handle(context.Background(), command.CancelPayment{OrderID: "o-1"})

			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && status != tt.wantStatus {
				t.Errorf("answered %s, want %s", status, tt.wantStatus)
			}
			if got := repo.stored.Status(); got != tt.wantStatus {
				t.Errorf("stored %s, want %s", got, tt.wantStatus)
			}
			if len(tt.gateway.refunds) != tt.wantRefunds {
				t.Fatalf("refunded %d times, want %d", len(tt.gateway.refunds), tt.wantRefunds)
			}
			if tt.wantRefunds > 0 {
				want := command.Refund{IdempotencyKey: command.RefundKey("o-1"), OrderID: "o-1", PaymentID: "pay-1", Amount: 2598, Currency: "EUR"}
				if tt.gateway.refunds[0] != want {
					t.Errorf("refunded %+v, want %+v", tt.gateway.refunds[0], want)
				}
			}
		})
	}
}

func TestChargePaymentWithTheTotalOpensThePaymentAndChargesIt(t *testing.T) {
	captured := command.ChargeResult{Captured: true, PaymentID: "pay-1"}
	msg := inbox.Key{Consumer: "payment", MessageID: "m-1"}
	for _, tt := range []struct {
		name        string
		stored      *domain.Payment
		recorded    bool
		wantStatus  domain.Status
		wantCharges int
	}{
		{"no payment yet: opened and charged", nil, false, domain.StatusCaptured, 1},
		{"due, opened by an earlier release from OrderPlaced: charged", payment(t, domain.StatusDue), false, domain.StatusCaptured, 1},
		{"redelivered after a crash left the charge unanswered: finished", payment(t, domain.StatusCharging), true, domain.StatusCaptured, 1},
		{"redelivered after it was captured: nothing", payment(t, domain.StatusCaptured), true, domain.StatusCaptured, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := &fakeRepository{stored: tt.stored}
			if tt.recorded {
				repo.record(msg)
			}
			gateway := &fakeGateway{charge: captured}
			h, err := command.NewChargePaymentHandler(repo, gateway, time.Now)
			if err != nil {
				t.Fatal(err)
			}

			status, err := h.Handle(context.Background(), command.ChargePayment{Message: msg, OrderID: "o-1", Amount: 2598, Currency: "EUR"})

			if tt.recorded {
				if !errors.Is(err, inbox.ErrDuplicate) {
					t.Fatalf("err = %v, want inbox.ErrDuplicate once the call is finished", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus || repo.stored.Status() != tt.wantStatus {
				t.Errorf("answered %s, stored %s, want %s", status, repo.stored.Status(), tt.wantStatus)
			}
			if len(gateway.charges) != tt.wantCharges {
				t.Fatalf("charged %d times, want %d", len(gateway.charges), tt.wantCharges)
			}
			if tt.wantCharges > 0 {
				want := command.Charge{IdempotencyKey: command.ChargeKey("o-1"), OrderID: "o-1", Amount: 2598, Currency: "EUR"}
				if gateway.charges[0] != want {
					t.Errorf("charged %+v, want %+v", gateway.charges[0], want)
				}
			}
			if !repo.recorded[msg] {
				t.Error("the message is not in the inbox")
			}
		})
	}
}

func TestCancellingAnOrderWithoutAPaymentDoesNothing(t *testing.T) {
	gateway := &fakeGateway{}
	repo := &fakeRepository{}
	h, err := command.NewCancelPaymentHandler(repo, gateway, time.Now)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := h.Handle(context.Background(), command.CancelPayment{Message: inbox.Key{Consumer: "payment", MessageID: "m-2"}, OrderID: "o-1"}); err != nil {
		t.Fatalf("err = %v, want nil: the order was cancelled before its stock was reserved", err)
	}
	if repo.stored != nil || len(gateway.charges)+len(gateway.refunds) > 0 {
		t.Errorf("stored %v, called the gateway %d times; want nothing", repo.stored, len(gateway.charges)+len(gateway.refunds))
	}
}

func TestChargingAnUnknownOrderFails(t *testing.T) {
	h, err := command.NewChargePaymentHandler(&fakeRepository{}, &fakeGateway{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(context.Background(), command.ChargePayment{OrderID: "o-404"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("err = %v, want domain.ErrNotFound", err)
	}
}

func TestPaymentsOfOrderRefusesABlankOrderID(t *testing.T) {
	h, err := query.NewPaymentsOfOrderHandler(readModelFunc(func(context.Context, string) ([]query.Payment, error) {
		t.Error("the read model was asked about a blank order ID")
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(context.Background(), query.PaymentsOfOrder{OrderID: " "}); !errors.Is(err, query.ErrInvalidQuery) {
		t.Errorf("err = %v, want ErrInvalidQuery", err)
	}
}

type readModelFunc func(ctx context.Context, orderID string) ([]query.Payment, error)

func (f readModelFunc) PaymentsOfOrder(ctx context.Context, orderID string) ([]query.Payment, error) {
	return f(ctx, orderID)
}

func TestNewApplicationRefusesMissingAdapters(t *testing.T) {
	full := app.Adapters{Repository: &fakeRepository{}, Gateway: &fakeGateway{}, ReadModel: readModelFunc(nil), Now: time.Now}
	if _, err := app.NewApplication(full, nil, nil); err != nil {
		t.Fatalf("all adapters given: %v", err)
	}
	for name, drop := range map[string]func(a *app.Adapters){
		"repository": func(a *app.Adapters) { a.Repository = nil },
		"gateway":    func(a *app.Adapters) { a.Gateway = nil },
		"read model": func(a *app.Adapters) { a.ReadModel = nil },
		"clock":      func(a *app.Adapters) { a.Now = nil },
	} {
		a := full
		drop(&a)
		if _, err := app.NewApplication(a, nil, nil); err == nil {
			t.Errorf("no %s: NewApplication succeeded", name)
		}
	}
}
