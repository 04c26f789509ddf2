// Package payment is the payment service's application: every use case
// (the handlers of command/ and query/) wrapped in the decorators, and the
// adapters they need.
package payment

import (
	"errors"
	"log/slog"
	"time"

	"github.com/orderflow/orders/app/decorator"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/app/payment/query"
	domain "github.com/orderflow/orders/domain/payment"
)

// Application is every use case of the payment service, each handler
// wrapped in the logging and metrics decorators.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands charge payments (opening them with the order's total) and
// cancel them. Both answer with the payment's status afterwards.
type Commands struct {
	ChargePayment decorator.CommandHandlerWithResult[command.ChargePayment, domain.Status]
	CancelPayment decorator.CommandHandlerWithResult[command.CancelPayment, domain.Status]
}

// Queries read payments.
type Queries struct {
	PaymentsOfOrder decorator.QueryHandler[query.PaymentsOfOrder, []query.Payment]
}

// Adapters are what the payment service needs from the outside: the
// repository, the gateway, the read model and the clock.
type Adapters struct {
	Repository command.Repository
	Gateway    command.Gateway
	ReadModel  query.ReadModel
	Now        func() time.Time
	// Tracer opens the handlers' spans; nil traces nothing.
	Tracer decorator.Tracer
}

// NewApplication builds every handler on the adapters and wraps each in
// the decorators: the one place where that happens. A nil logger is
// slog.Default(); nil metrics record nothing.
func NewApplication(a Adapters, logger *slog.Logger, metrics decorator.MetricsClient) (Application, error) {
	charge, err1 := command.NewChargePaymentHandler(a.Repository, a.Gateway, a.Now)
	cancel, err2 := command.NewCancelPaymentHandler(a.Repository, a.Gateway, a.Now)
	payments, err3 := query.NewPaymentsOfOrderHandler(a.ReadModel)
	if err := errors.Join(err1, err2, err3); err != nil {
		return Application{}, err
	}
	return Application{
		Commands: Commands{
			ChargePayment: decorator.ApplyCommandWithResultDecorators(charge, logger, metrics, a.Tracer),
			CancelPayment: decorator.ApplyCommandWithResultDecorators(cancel, logger, metrics, a.Tracer),
		},
		Queries: Queries{
			PaymentsOfOrder: decorator.ApplyQueryDecorators(payments, logger, metrics, a.Tracer),
		},
	}, nil
}
