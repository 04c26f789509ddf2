package payment

import (
	"errors"
	"log/slog"
	"time"

	"github.com/orderflow/orders/app/decorator"
	domain "github.com/orderflow/orders/domain/payment"
)

// Application is every use case of the payment service, each handler
// wrapped in the logging and metrics decorators.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands open, charge and cancel payments. Charging and cancelling
// answer with the payment's status afterwards.
type Commands struct {
	OpenPayment   decorator.CommandHandler[OpenPayment]
	ChargePayment decorator.CommandHandlerWithResult[ChargePayment, domain.Status]
	CancelPayment decorator.CommandHandlerWithResult[CancelPayment, domain.Status]
}

// Queries read payments.
type Queries struct {
	PaymentsOfOrder decorator.QueryHandler[PaymentsOfOrder, []Payment]
}

// Adapters are what the payment service needs from the outside: the
// repository, the gateway, the read model and the clock.
type Adapters struct {
	Repository Repository
	Gateway    Gateway
	ReadModel  ReadModel
	Now        func() time.Time
	// Tracer opens the handlers' spans; nil traces nothing.
	Tracer decorator.Tracer
}

// NewApplication builds every handler on the adapters and wraps each in
// the decorators: the one place where that happens. A nil logger is
// slog.Default(); nil metrics record nothing.
func NewApplication(a Adapters, logger *slog.Logger, metrics decorator.MetricsClient) (Application, error) {
	open, err1 := NewOpenPaymentHandler(a.Repository)
	charge, err2 := NewChargePaymentHandler(a.Repository, a.Gateway, a.Now)
	cancel, err3 := NewCancelPaymentHandler(a.Repository, a.Gateway, a.Now)
	payments, err4 := NewPaymentsOfOrderHandler(a.ReadModel)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Application{}, err
	}
	return Application{
		Commands: Commands{
			OpenPayment:   decorator.ApplyCommandDecorators(open, logger, metrics, a.Tracer),
			ChargePayment: decorator.ApplyCommandWithResultDecorators(charge, logger, metrics, a.Tracer),
			CancelPayment: decorator.ApplyCommandWithResultDecorators(cancel, logger, metrics, a.Tracer),
		},
		Queries: Queries{
			PaymentsOfOrder: decorator.ApplyQueryDecorators(payments, logger, metrics, a.Tracer),
		},
	}, nil
}
