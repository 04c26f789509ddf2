package inventory

import (
	"time"
)

// Application is every use case of the inventory service.
type Application struct {
	ReserveStock ReserveStockHandler
	Reservations ReservationHandler
	SetStock     SetStockHandler
	StockLevel   StockLevelHandler
}

// NewApplication returns the use cases on a repository and a read model.
func NewApplication(repo Repository, readModel StockReadModel, now func() time.Time) (Application, error) {
	var (
		a   Application
		err error
	)
	if a.ReserveStock, err = NewReserveStockHandler(repo, now); err != nil {
		return Application{}, err
	}
	if a.Reservations, err = NewReservationHandler(repo, now); err != nil {
		return Application{}, err
	}
	if a.SetStock, err = NewSetStockHandler(repo); err != nil {
		return Application{}, err
	}
	if a.StockLevel, err = NewStockLevelHandler(readModel); err != nil {
		return Application{}, err
	}
	return a, nil
}
