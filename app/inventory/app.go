// Package inventory is the inventory service's application: every use case
// (the handlers of command/ and query/) wrapped in the decorators, and the
// adapters they need.
package inventory

import (
	"errors"
	"log/slog"
	"time"

	"github.com/orderflow/orders/app/decorator"
	"github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
)

// Application is every use case of the inventory service, each handler
// wrapped in the logging and metrics decorators.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change stock and reservations.
type Commands struct {
	ReserveStock decorator.CommandHandlerWithResult[command.ReserveStock, domain.Status]
	ReleaseStock decorator.CommandHandler[command.ReleaseStock]
	CommitStock  decorator.CommandHandler[command.CommitStock]
	SetStock     decorator.CommandHandler[command.SetStock]
}

// Queries read stock levels.
type Queries struct {
	GetStockLevel decorator.QueryHandler[query.GetStockLevel, query.StockLevel]
}

// Adapters are what the inventory needs from the outside: the repository,
// the read model and the clock.
type Adapters struct {
	Repository     command.Repository
	StockReadModel query.StockReadModel
	Now            func() time.Time
	// Tracer opens the handlers' spans; nil traces nothing.
	Tracer decorator.Tracer
}

// NewApplication builds every handler on the adapters and wraps each in
// the decorators: the one place where that happens. A nil logger is
// slog.Default(); nil metrics record nothing.
func NewApplication(a Adapters, logger *slog.Logger, metrics decorator.MetricsClient) (Application, error) {
	reserve, err1 := command.NewReserveStockHandler(a.Repository, a.Now)
	release, err2 := command.NewReleaseStockHandler(a.Repository, a.Now)
	commit, err3 := command.NewCommitStockHandler(a.Repository, a.Now)
	setStock, err4 := command.NewSetStockHandler(a.Repository)
	stockLevel, err5 := query.NewGetStockLevelHandler(a.StockReadModel)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return Application{}, err
	}
	return Application{
		Commands: Commands{
			ReserveStock: decorator.ApplyCommandWithResultDecorators(reserve, logger, metrics, a.Tracer),
			ReleaseStock: decorator.ApplyCommandDecorators(release, logger, metrics, a.Tracer),
			CommitStock:  decorator.ApplyCommandDecorators(commit, logger, metrics, a.Tracer),
			SetStock:     decorator.ApplyCommandDecorators(setStock, logger, metrics, a.Tracer),
		},
		Queries: Queries{
			GetStockLevel: decorator.ApplyQueryDecorators(stockLevel, logger, metrics, a.Tracer),
		},
	}, nil
}
