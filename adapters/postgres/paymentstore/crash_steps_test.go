package paymentstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/testenv"
)

var everyCrashPoint = []crashPoint{beforeIntentCommits, beforeGatewayCall, afterGatewayAnswered, beforeAnswerCommits, beforeAcknowledgement}

func messageKey(orderID, event string) inbox.Key {
	return inbox.Key{Consumer: "payment", MessageID: orderID + "/" + event}
}

// openDue opens the order's payment due, as releases before
// OrderStockReserved carried the total did on the order's OrderPlaced.
func openDue(t *testing.T, db *sql.DB, orderID string, amount int64) {
	t.Helper()
	p, err := domain.Open(orderID, amount, "EUR")
	if err == nil {
		err = newRepository(t, db).Add(context.Background(), messageKey(orderID, "placed"), p)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// chargeDelivery and cancelDelivery deliver the order's
// OrderStockReserved and OrderCancelled, the same message each time. A
// charge of amount 0 delivers one without the order's total (schema
// version 1), which charges the payment opened due before.
func chargeDelivery(a app.Application, orderID string, amount int64) func() (domain.Status, error) {
	currency := "EUR"
	if amount == 0 {
		currency = ""
	}
	return func() (domain.Status, error) {
		return a.Commands.ChargePayment.Handle(context.Background(), command.ChargePayment{
			Message: messageKey(orderID, "stock-reserved"), OrderID: orderID, Amount: amount, Currency: currency,
		})
	}
}

func cancelDelivery(a app.Application, orderID string) func() (domain.Status, error) {
	return func() (domain.Status, error) {
		return a.Commands.CancelPayment.Handle(context.Background(), command.CancelPayment{Message: messageKey(orderID, "cancelled"), OrderID: orderID})
	}
}

// redeliver checks a crashed delivery's effect, delivers the message
// again, and checks the end: a message whose intent committed is a
// duplicate by then, yet its redelivery finishes the call.
func redeliver(t *testing.T, point crashPoint, crashed error, handle func() (domain.Status, error), left func() outcome, afterCrash, final outcome) {
	t.Helper()
	if point != beforeAcknowledgement && !errors.Is(crashed, errCrash) {
		t.Fatalf("crashing delivery: err = %v, want the crash", crashed)
	}
	if point == beforeAcknowledgement && crashed != nil {
		t.Fatalf("delivery: %v", crashed)
	}
	if got := left(); !got.equal(afterCrash) {
		t.Errorf("after the crash: %s; want %s", got, afterCrash)
	}

	status, err := deliver(handle)
	wantErr := inbox.ErrDuplicate
	if point == beforeIntentCommits {
		wantErr = nil // nothing of the first delivery committed
	}
	if !errors.Is(err, wantErr) || status != final.status {
		t.Errorf("redelivery: %s, %v; want %s, %v", status, err, final.status, wantErr)
	}
	if got := left(); !got.equal(final) {
		t.Errorf("after the redelivery: %s; want %s", got, final)
	}
}

func TestAChargeSurvivesACrashAtEachStep(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	for _, answer := range []struct {
		name   string
		amount int64
		status domain.Status
		event  string
	}{
		{"captured", 2598, domain.StatusCaptured, domain.PaymentCapturedType},
		{"declined", 100_001, domain.StatusDeclined, domain.PaymentDeclinedType},
	} {
		for _, point := range everyCrashPoint {
			for _, due := range []bool{false, true} {
				name := answer.name + "/" + point.String()
				if due {
					name += "/due before"
				}
				t.Run(name, func(t *testing.T) {
					a, crash := crashTestApp(t, db)
					orderID := uuid.NewString()
					charge := chargeDelivery(a, orderID, answer.amount)
					var before domain.Status // the charge opens the payment
					if due {
						openDue(t, db, orderID, answer.amount)
						charge, before = chargeDelivery(a, orderID, 0), domain.StatusDue
					}
					final := outcome{status: answer.status, charges: 1, events: []string{answer.event}}
					afterCrash := map[crashPoint]outcome{
						beforeIntentCommits:   {status: before},
						beforeGatewayCall:     {status: domain.StatusCharging},
						afterGatewayAnswered:  {status: domain.StatusCharging, charges: 1},
						beforeAnswerCommits:   {status: domain.StatusCharging, charges: 1},
						beforeAcknowledgement: final,
					}[point]

					crash.arm(point)
					_, err := deliver(charge)
					redeliver(t, point, err, charge, func() outcome { return outcomeOf(t, db, orderID) }, afterCrash, final)
				})
			}
		}
	}
}

func TestARefundSurvivesACrashAtEachStep(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	for _, point := range everyCrashPoint {
		t.Run(point.String(), func(t *testing.T) {
			a, crash := crashTestApp(t, db)
			orderID := uuid.NewString()
			if status, err := chargeDelivery(a, orderID, 2598)(); err != nil || status != domain.StatusCaptured {
				t.Fatalf("charge: %s, %v", status, err)
			}
			cancel := cancelDelivery(a, orderID)
			captured := []string{domain.PaymentCapturedType}
			final := outcome{status: domain.StatusRefunded, charges: 1, refunds: 1, events: []string{domain.PaymentCapturedType, domain.PaymentRefundedType}}
			afterCrash := map[crashPoint]outcome{
				beforeIntentCommits:   {status: domain.StatusCaptured, charges: 1, events: captured},
				beforeGatewayCall:     {status: domain.StatusRefunding, charges: 1, events: captured},
				afterGatewayAnswered:  {status: domain.StatusRefunding, charges: 1, refunds: 1, events: captured},
				beforeAnswerCommits:   {status: domain.StatusRefunding, charges: 1, refunds: 1, events: captured},
				beforeAcknowledgement: final,
			}[point]

			crash.arm(point)
			_, err := deliver(cancel)
			redeliver(t, point, err, cancel, func() outcome { return outcomeOf(t, db, orderID) }, afterCrash, final)
		})
	}
}

// TestACancellationAnswersAChargeACrashLeftOpen: the charge's process died
// after the gateway charged; the cancellation comes before any redelivery
// of the charge (its message was parked, say). It finishes the charge, so
// that it knows what to refund, and refunds it; the charge's late
// redelivery changes nothing.
func TestACancellationAnswersAChargeACrashLeftOpen(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a, crash := crashTestApp(t, db)
	orderID := uuid.NewString()
	charge := chargeDelivery(a, orderID, 2598)
	crash.arm(afterGatewayAnswered)
	if _, err := deliver(charge); !errors.Is(err, errCrash) {
		t.Fatalf("charge: err = %v, want the crash", err)
	}

	status, err := cancelDelivery(a, orderID)()
	if err != nil || status != domain.StatusRefunded {
		t.Fatalf("cancel: %s, %v; want refunded", status, err)
	}
	if status, err := charge(); !errors.Is(err, inbox.ErrDuplicate) || status != domain.StatusRefunded {
		t.Errorf("late redelivery of the charge: %s, %v; want refunded, a duplicate", status, err)
	}
	want := outcome{status: domain.StatusRefunded, charges: 1, refunds: 1, events: []string{domain.PaymentCapturedType, domain.PaymentRefundedType}}
	if got := outcomeOf(t, db, orderID); !got.equal(want) {
		t.Errorf("%s; want %s", got, want)
	}
}
