package payment

import "time"

// Application is every use case of the payment service.
type Application struct {
	OpenPayment     OpenPaymentHandler
	ChargePayment   ChargePaymentHandler
	CancelPayment   CancelPaymentHandler
	PaymentsOfOrder PaymentsOfOrderHandler
}

// NewApplication returns the use cases on a repository, a gateway and a
// read model.
func NewApplication(repo Repository, gateway Gateway, readModel ReadModel, now func() time.Time) (Application, error) {
	var (
		a   Application
		err error
	)
	if a.OpenPayment, err = NewOpenPaymentHandler(repo); err != nil {
		return Application{}, err
	}
	if a.ChargePayment, err = NewChargePaymentHandler(repo, gateway, now); err != nil {
		return Application{}, err
	}
	if a.CancelPayment, err = NewCancelPaymentHandler(repo, gateway, now); err != nil {
		return Application{}, err
	}
	if a.PaymentsOfOrder, err = NewPaymentsOfOrderHandler(readModel); err != nil {
		return Application{}, err
	}
	return a, nil
}
