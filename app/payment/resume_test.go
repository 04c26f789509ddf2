package payment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
)

func TestCancellingAnUnansweredChargeAnswersItThenRefunds(t *testing.T) {
	repo := &fakeRepository{stored: payment(t, domain.StatusCharging)}
	gateway := &fakeGateway{charge: command.ChargeResult{Captured: true, PaymentID: "pay-7"}, refund: command.RefundResult{RefundID: "ref-7"}}
	h, err := command.NewCancelPaymentHandler(repo, gateway, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	status, err := h.Handle(context.Background(), command.CancelPayment{Message: inbox.Key{Consumer: "payment", MessageID: "cancelled"}, OrderID: "o-1"})
	if err != nil || status != domain.StatusRefunded {
		t.Fatalf("cancel: %s, %v; want refunded", status, err)
	}
	if len(gateway.charges) != 1 || len(gateway.refunds) != 1 || gateway.refunds[0].PaymentID != "pay-7" {
		t.Errorf("gateway saw charges %+v and refunds %+v; want one of each, the refund of pay-7", gateway.charges, gateway.refunds)
	}
}

// TestARedeliveryFinishesWhatItsFirstDeliveryStarted: the first delivery
// recorded the message and the intent, then the gateway failed; the
// redelivery is a duplicate yet finishes the call.
func TestARedeliveryFinishesWhatItsFirstDeliveryStarted(t *testing.T) {
	repo := &fakeRepository{stored: payment(t, domain.StatusDue)}
	gateway := &fakeGateway{err: errGatewayDown}
	h, err := command.NewChargePaymentHandler(repo, gateway, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cmd := command.ChargePayment{Message: inbox.Key{Consumer: "payment", MessageID: "stock-reserved"}, OrderID: "o-1"}
	if _, err := h.Handle(context.Background(), cmd); !errors.Is(err, errGatewayDown) {
		t.Fatalf("first delivery: err = %v, want the gateway's", err)
	}

	if _, err := h.Handle(context.Background(), cmd); !errors.Is(err, errGatewayDown) || errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("redelivery, gateway still down: err = %v, want the gateway's, not a duplicate to acknowledge", err)
	}
	gateway.err, gateway.charge = nil, command.ChargeResult{Captured: true, PaymentID: "pay-1"}
	status, err := h.Handle(context.Background(), cmd)
	if !errors.Is(err, inbox.ErrDuplicate) || status != domain.StatusCaptured {
		t.Errorf("redelivery: %s, %v; want captured and a duplicate", status, err)
	}
	if got := repo.stored.Status(); got != domain.StatusCaptured {
		t.Errorf("stored %s, want captured", got)
	}
	for _, c := range gateway.charges {
		if c.IdempotencyKey != command.ChargeKey("o-1") {
			t.Errorf("charged with key %q", c.IdempotencyKey)
		}
	}
}
