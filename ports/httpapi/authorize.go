package httpapi

import (
	"net/http"

	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/ports/httpauth"
	"github.com/orderflow/orders/ports/internal/httpio"
)

// The order API's authorization (docs/adr/0005-api-authentication.md): a
// customer works on its own orders only, and another customer's order is
// "not found" so that its existence does not leak; an operator works on
// every order and alone may ship.

// principal is the caller the middleware authenticated. Without one (a
// handler reached without the middleware) it is a customer with no ID,
// who owns nothing.
func principal(r *http.Request) httpauth.Principal {
	p, _ := httpauth.FromContext(r.Context())
	return p
}

// forbidden is a 403 problem for a request the caller's role does not allow.
func forbidden(detail string) error {
	return &httpio.RequestError{Problem: httpio.Problem{Type: httpauth.TypeForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: detail}}
}

// placingCustomer is the customer an order is placed for: the token's
// subject. A customer's body may repeat its own ID and no other; an
// operator places for the customer the body names (its own subject when
// none).
func placingCustomer(r *http.Request, inBody string) (string, error) {
	p := principal(r)
	switch {
	case inBody == "" || inBody == p.Subject:
		return p.Subject, nil
	case p.IsOperator():
		return inBody, nil
	default:
		return "", forbidden("customer_id names another customer; leave it out, the token says who you are")
	}
}

// listingCustomer is the customer whose orders a listing shows: the
// caller's own for a customer (who may name only itself), the named one
// for an operator.
func listingCustomer(r *http.Request, requested string) (string, error) {
	p := principal(r)
	switch {
	case p.IsOperator():
		return requested, nil
	case requested == "" || requested == p.Subject:
		return p.Subject, nil
	default:
		return "", forbidden("a customer lists only its own orders")
	}
}

// mayRead says whether the caller may see o.
func mayRead(r *http.Request, o query.Order) bool {
	p := principal(r)
	return p.IsOperator() || (p.Subject != "" && o.CustomerID == p.Subject)
}

// checkOwner returns order.ErrNotFound, the answer for an order that does
// not exist, when the caller may not work on order id.
func (s *server) checkOwner(r *http.Request, id order.ID) error {
	if principal(r).IsOperator() {
		return nil
	}
	o, err := s.app.Queries.GetOrder.Handle(r.Context(), query.GetOrder{OrderID: id})
	if err != nil {
		return err
	}
	if !mayRead(r, o) {
		return order.ErrNotFound
	}
	return nil
}

// requireOperator answers 403 and returns false unless the caller is an
// operator.
func requireOperator(w http.ResponseWriter, r *http.Request) bool {
	if principal(r).IsOperator() {
		return true
	}
	httpauth.Forbidden(w, r, "only operators may do this")
	return false
}
