// Package httpauth authenticates the requests of the project's HTTP APIs:
// bearer JWTs signed with HS256 under one configured key (see
// docs/adr/0005-api-authentication.md). It also issues such tokens, for
// `orders token` and the tests.
package httpauth

import (
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// DevelopmentKey is the key `make run` and the tests sign and verify
// tokens with (AUTH_DEV_MODE=true). It is public, so a service refuses it
// unless told it runs for development.
const DevelopmentKey = "orders-development-key-never-use-it-in-production"

// MinKeyLength is the shortest key accepted: HS256 wants at least as many
// bytes as the hash's output (RFC 7518, section 3.2).
const MinKeyLength = 32

// Role is what a principal may do.
type Role string

const (
	// RoleCustomer places, reads, lists and cancels its own orders.
	RoleCustomer Role = "customer"
	// RoleOperator works on every order, ships, and uses the inventory and
	// payment APIs.
	RoleOperator Role = "operator"
)

// Principal is the authenticated caller: the token's subject (for a
// customer, the customer ID) and its role.
type Principal struct {
	Subject string
	Role    Role
}

// IsOperator says whether p has the operator role.
func (p Principal) IsOperator() bool { return p.Role == RoleOperator }

// Settings configure the key and the claims a token must carry.
type Settings struct {
	Key []byte
	// Issuer and Audience, when set, are required in every token (iss,
	// aud) and written into the tokens Issue makes.
	Issuer   string
	Audience string
}

// Authenticator verifies and issues tokens under one key.
type Authenticator struct {
	settings Settings
	parser   *jwt.Parser
	now      func() time.Time
}

// New returns an Authenticator for s; it refuses a key shorter than
// MinKeyLength.
func New(s Settings) (*Authenticator, error) {
	if len(s.Key) < MinKeyLength {
		return nil, fmt.Errorf("JWT key of %d bytes: want at least %d", len(s.Key), MinKeyLength)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // no "none", no algorithm confusion
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30 * time.Second), // clocks of issuer and service differ a little
	}
	if s.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(s.Issuer))
	}
	if s.Audience != "" {
		opts = append(opts, jwt.WithAudience(s.Audience))
	}
	return &Authenticator{settings: s, parser: jwt.NewParser(opts...), now: time.Now}, nil
}

// Development returns the Authenticator on DevelopmentKey.
func Development() *Authenticator {
	a, err := New(Settings{Key: []byte(DevelopmentKey)})
	if err != nil {
		panic(err) // the constant is long enough
	}
	return a
}

// claims are a token's registered claims and its role.
type claims struct {
	jwt.RegisteredClaims
	Role Role `json:"role"`
}

// maxSubjectLength bounds a subject; customer IDs are at most 64 bytes.
const maxSubjectLength = 64

// Errors of Verify; the middleware words its 401s after them.
var (
	ErrMalformed = errors.New("the token is not a well-formed JWT")
	ErrExpired   = errors.New("the token has expired")
	ErrInvalid   = errors.New("the token is not valid")
)

// Verify checks a token's signature and claims and returns its principal.
func (a *Authenticator) Verify(token string) (Principal, error) {
	var c claims
	_, err := a.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.settings.Key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Principal{}, ErrMalformed
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, ErrExpired
	case err != nil:
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if c.Role != RoleCustomer && c.Role != RoleOperator {
		return Principal{}, fmt.Errorf("%w: role must be customer or operator", ErrInvalid)
	}
	if !validSubject(c.Subject) {
		return Principal{}, fmt.Errorf("%w: sub must be 1 to %d printable characters", ErrInvalid, maxSubjectLength)
	}
	return Principal{Subject: c.Subject, Role: c.Role}, nil
}

func validSubject(s string) bool {
	if s == "" || len(s) > maxSubjectLength {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// Issue signs a token for p that expires after ttl.
func (a *Authenticator) Issue(p Principal, ttl time.Duration) (string, error) {
	if !validSubject(p.Subject) {
		return "", fmt.Errorf("subject %q: want 1 to %d printable characters without spaces", p.Subject, maxSubjectLength)
	}
	if p.Role != RoleCustomer && p.Role != RoleOperator {
		return "", fmt.Errorf("role %q: want customer or operator", p.Role)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("ttl %s: want a positive duration", ttl)
	}
	now := a.now()
	c := claims{Role: p.Role, RegisteredClaims: jwt.RegisteredClaims{
		Subject: p.Subject, Issuer: a.settings.Issuer,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if a.settings.Audience != "" {
		c.Audience = jwt.ClaimStrings{a.settings.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.settings.Key)
}
