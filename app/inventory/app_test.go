package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/inventory"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
)

type nopRepository struct{}

func (nopRepository) Reserve(context.Context, inbox.Key, string, []string, func(domain.Stock) (*domain.Reservation, error)) error {
	return nil
}

func (nopRepository) UpdateReservation(context.Context, inbox.Key, string, func(*domain.Reservation, domain.Stock) error) error {
	return nil
}

func (nopRepository) UpdateItem(context.Context, string, func(*domain.Item) error) error { return nil }

type nopReadModel struct{}

func (nopReadModel) StockLevel(context.Context, string) (query.StockLevel, error) {
	return query.StockLevel{}, nil
}

func TestNewApplicationRefusesMissingAdapters(t *testing.T) {
	full := app.Adapters{Repository: nopRepository{}, StockReadModel: nopReadModel{}, Now: time.Now}
	if _, err := app.NewApplication(full, nil, nil); err != nil {
		t.Fatalf("all adapters given: %v", err)
	}
	for name, drop := range map[string]func(a *app.Adapters){
		"repository": func(a *app.Adapters) { a.Repository = nil },
		"read model": func(a *app.Adapters) { a.StockReadModel = nil },
		"clock":      func(a *app.Adapters) { a.Now = nil },
	} {
		a := full
		drop(&a)
		if _, err := app.NewApplication(a, nil, nil); err == nil {
			t.Errorf("no %s: NewApplication succeeded", name)
		}
	}
}
