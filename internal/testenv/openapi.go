package testenv

import (
	"net/http"
	"testing"

	"github.com/orderflow/orders/internal/openapitest"
)

// ConformingClient is openapitest.ConformingClient, kept here for the
// tests that already use testenv.
func ConformingClient(t *testing.T, spec []byte) *http.Client {
	t.Helper()
	return openapitest.ConformingClient(t, spec)
}
