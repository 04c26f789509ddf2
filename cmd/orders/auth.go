package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orderflow/orders/ports/httpauth"
)

// AuthConfig is the key and claims of the APIs' bearer tokens (README,
// "Security"; docs/adr/0005-api-authentication.md).
type AuthConfig struct {
	Key      string // AUTH_JWT_KEY: the HS256 key itself
	KeyFile  string // AUTH_JWT_KEY_FILE: a file holding it (a mounted secret); trailing newlines dropped
	Issuer   string // AUTH_JWT_ISSUER: required iss claim; empty: not checked
	Audience string // AUTH_JWT_AUDIENCE: required aud claim; empty: not checked
	// DevMode (AUTH_DEV_MODE=true) lets the APIs run without a key, on
	// httpauth.DevelopmentKey, which is public: for `make run` and tests.
	DevMode bool
}

func loadAuthConfig(p *envParser) AuthConfig {
	c := AuthConfig{
		Key: p.getenv("AUTH_JWT_KEY"), KeyFile: p.str("AUTH_JWT_KEY_FILE"),
		Issuer: p.str("AUTH_JWT_ISSUER"), Audience: p.str("AUTH_JWT_AUDIENCE"),
	}
	if v := p.str("AUTH_DEV_MODE"); v != "" {
		dev, err := strconv.ParseBool(v)
		if err != nil {
			p.fail("AUTH_DEV_MODE", "true or false", v)
		}
		c.DevMode = dev
	}
	return c
}

func (c AuthConfig) validate() []error {
	var errs []error
	if c.Key != "" && c.KeyFile != "" {
		errs = append(errs, errors.New("AUTH_JWT_KEY, AUTH_JWT_KEY_FILE: want one of them, got both"))
	}
	if c.Key != "" && len(c.Key) < httpauth.MinKeyLength {
		errs = append(errs, fmt.Errorf("AUTH_JWT_KEY: want at least %d bytes, got %d", httpauth.MinKeyLength, len(c.Key)))
	}
	return errs
}

// errNoKey refuses to serve the APIs without a key of one's own.
var errNoKey = errors.New("the HTTP APIs need a token key: set AUTH_JWT_KEY or AUTH_JWT_KEY_FILE " +
	"(at least 32 random bytes), or AUTH_DEV_MODE=true to use the public development key on a development machine")

// key returns the configured key; empty when there is none.
func (c AuthConfig) key() ([]byte, error) {
	if c.KeyFile == "" {
		return []byte(c.Key), nil
	}
	raw, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("AUTH_JWT_KEY_FILE: %w", err)
	}
	key := []byte(strings.TrimRight(string(raw), "\r\n"))
	if len(key) == 0 {
		return nil, fmt.Errorf("AUTH_JWT_KEY_FILE: %s is empty", c.KeyFile)
	}
	return key, nil
}

// authenticator is the APIs' token checker: on the configured key, or on
// the development key when AUTH_DEV_MODE allows it (logged at WARN).
// Without either it refuses, so that no API ever runs unprotected or on a
// key anybody knows by mistake.
func (c AuthConfig) authenticator(ctx context.Context, logger *slog.Logger) (*httpauth.Authenticator, error) {
	key, err := c.key()
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		if !c.DevMode {
			return nil, errNoKey
		}
		logger.WarnContext(ctx, "AUTH_DEV_MODE: the APIs accept tokens signed with the public development key; never use this in production")
		key = []byte(httpauth.DevelopmentKey)
	}
	return httpauth.New(httpauth.Settings{Key: key, Issuer: c.Issuer, Audience: c.Audience})
}

// servesHTTP says whether a command serves an API, and so needs the key.
func servesHTTP(cmd string) bool {
	switch cmd {
	case "all", "api", "inventory", "payment":
		return true
	}
	return false
}

// runToken prints a token for the configured key, or for the development
// key when none is configured (it is public: issuing for it gives nothing
// away, and only a service in AUTH_DEV_MODE accepts it).
func runToken(c AuthConfig, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	customer := fs.String("customer", "", "the token's subject: the customer ID (required)")
	role := fs.String("role", string(httpauth.RoleCustomer), "customer or operator")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *customer == "" || fs.NArg() > 0 {
		return errors.New("usage: orders token --customer ID [--role customer|operator] [--ttl 1h]")
	}
	key, err := c.key()
	if err != nil {
		return err
	}
	if len(key) == 0 {
		_, _ = fmt.Fprintln(stderr, "no AUTH_JWT_KEY or AUTH_JWT_KEY_FILE: signed with the development key (accepted with AUTH_DEV_MODE=true)")
		key = []byte(httpauth.DevelopmentKey)
	}
	a, err := httpauth.New(httpauth.Settings{Key: key, Issuer: c.Issuer, Audience: c.Audience})
	if err != nil {
		return err
	}
	token, err := a.Issue(httpauth.Principal{Subject: *customer, Role: httpauth.Role(*role)}, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
