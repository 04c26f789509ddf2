package httpauth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderflow/orders/ports/internal/httpio"
)

// Problem types of authentication and authorization: stable identifiers
// that clients may switch on.
const (
	TypeUnauthorized = "urn:orders:problem:unauthorized"
	TypeForbidden    = "urn:orders:problem:forbidden"
)

// realm names the protection space in WWW-Authenticate (RFC 6750).
const realm = "orders"

// Policy says which requests of an API need which credentials.
type Policy struct {
	// Public are the paths served without credentials (health, metrics,
	// the OpenAPI document), whatever the method.
	Public []string
	// OperatorsOnly: every other path needs the operator role.
	OperatorsOnly bool
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p, as the middleware passes it on.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal the middleware authenticated; false
// on a public path or without the middleware.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Middleware lets through the requests policy makes public and those with
// a valid bearer token (its principal in the request context); it answers
// every other request with a 401 problem, or a 403 when the policy wants
// an operator and the token's role is customer.
func (a *Authenticator) Middleware(next http.Handler, policy Policy) http.Handler {
	if a == nil {
		panic("httpauth: Middleware without an Authenticator") // fail closed, at wiring time
	}
	public := make(map[string]bool, len(policy.Public))
	for _, p := range policy.Public {
		public[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			Unauthorized(w, r, "", "this request needs a bearer token in the Authorization header")
			return
		}
		p, err := a.Verify(token)
		if err != nil {
			Unauthorized(w, r, "invalid_token", describe(err))
			return
		}
		if policy.OperatorsOnly && !p.IsOperator() {
			Forbidden(w, r, "this API is for operators only")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive, RFC 9110 section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// describe words a Verify error for the client without echoing the token.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrMalformed):
		return "the bearer token is not a well-formed JWT"
	case errors.Is(err, ErrExpired):
		return "the bearer token has expired"
	default:
		return "the bearer token is not valid: " + strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
	}
}

// Unauthorized answers 401 with a WWW-Authenticate challenge (RFC 6750
// section 3): without an error code when no credentials came, with
// errorCode (invalid_token) when they were wrong.
func Unauthorized(w http.ResponseWriter, r *http.Request, errorCode, detail string) {
	challenge := `Bearer realm="` + realm + `"`
	if errorCode != "" {
		challenge += `, error="` + errorCode + `", error_description=` + strconv.Quote(headerSafe(detail))
	}
	w.Header().Set("WWW-Authenticate", challenge)
	httpio.WriteProblem(w, r, httpio.Problem{Type: TypeUnauthorized, Title: "Authentication required", Status: http.StatusUnauthorized, Detail: detail})
}

// Forbidden answers 403: the caller is known but its role does not allow
// the request (RFC 6750's insufficient_scope).
func Forbidden(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="insufficient_scope", error_description=`+strconv.Quote(headerSafe(detail)))
	httpio.WriteProblem(w, r, httpio.Problem{Type: TypeForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: detail})
}

// headerSafe keeps the characters RFC 6750 allows in error_description
// (printable ASCII but '"' and '\').
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
