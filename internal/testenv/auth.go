package testenv

import (
	"net/http"
	"testing"
	"time"

	"github.com/orderflow/orders/ports/httpauth"
)

// AuthEnv is the environment under which an orders process accepts the
// tokens Token makes: the development key.
const AuthEnv = "AUTH_DEV_MODE=true"

// Auth is the authenticator of the APIs the tests serve themselves: the
// development key, as `orders` uses it with AuthEnv.
func Auth() *httpauth.Authenticator { return httpauth.Development() }

// Token is a bearer token for subject with role, valid for an hour under
// the development key.
func Token(t testing.TB, subject string, role httpauth.Role) string {
	t.Helper()
	token, err := Auth().Issue(httpauth.Principal{Subject: subject, Role: role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// OperatorToken is a token with the operator role.
func OperatorToken(t testing.TB) string {
	t.Helper()
	return Token(t, "test-operator", httpauth.RoleOperator)
}

// WithBearer returns a copy of c whose requests carry token, unless they
// set an Authorization header of their own (an empty one sends none).
func WithBearer(c *http.Client, token string) *http.Client {
	authorized := *c
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	authorized.Transport = bearerTransport{token: token, next: next}
	return &authorized
}

type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, own := req.Header["Authorization"]; !own {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(req)
}
