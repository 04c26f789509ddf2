package paymenthttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/paymenthttp"
)

// FuzzPayments sends the payment API any query, on the real PostgreSQL
// read model: an order ID the store cannot compare must be an empty list
// or a 4xx problem (RFC 9457), never a 5xx or a panic.
func FuzzPayments(f *testing.F) {
	handler := paymenthttp.NewHandler(testenv.PaymentApplication(f, testenv.DB(f)), testenv.Auth())
	token := testenv.OperatorToken(f)
	for _, q := range []string{
		"order_id=0b4c6c4e-6a3c-4c59-9d0e-6f2a4d5b9e10",
		"order_id=0B4C6C4E6A3C4C599D0E6F2A4D5B9E10",
		"order_id={0b4c6c4e-6a3c-4c59-9d0e-6f2a4d5b9e10}",
		"order_id=urn:uuid:0b4c6c4e-6a3c-4c59-9d0e-6f2a4d5b9e10",
		"order_id=", "order_id=%20", "order_id=%00", "order_id=%FF", "", "order_id=a&order_id=b", "%zz",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/payments", nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		testenv.RequireClientAnswer(t, rec)
	})
}
