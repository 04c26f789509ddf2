package httpauth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIssuedTokensVerifyWithTheirClaims(t *testing.T) {
	a, err := New(Settings{Key: []byte(strings.Repeat("s", 32)), Issuer: "orders-idp", Audience: "orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := a.Issue(Principal{Subject: "c-42", Role: RoleOperator}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Verify(token); err != nil || p != (Principal{Subject: "c-42", Role: RoleOperator}) {
		t.Errorf("Verify = %+v, %v; want c-42 operator", p, err)
	}

	// Same key, but no issuer and audience: refused where they are configured.
	bare, err := New(Settings{Key: []byte(strings.Repeat("s", 32))})
	if err != nil {
		t.Fatal(err)
	}
	unscoped, err := bare.Issue(Principal{Subject: "c-42", Role: RoleCustomer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(unscoped); !errors.Is(err, ErrInvalid) {
		t.Errorf("a token without iss/aud: %v, want ErrInvalid", err)
	}
}

func TestExpiredTokensAreRefusedPastTheLeeway(t *testing.T) {
	a := Development()
	a.now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	token, err := a.Issue(Principal{Subject: "c-1", Role: RoleCustomer}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Development().Verify(token); !errors.Is(err, ErrExpired) {
		t.Errorf("a token expired a minute ago: %v, want ErrExpired", err)
	}
}

func TestWeakKeysAndBadPrincipalsAreRefused(t *testing.T) {
	if _, err := New(Settings{Key: []byte("short")}); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	for _, p := range []Principal{{Subject: "", Role: RoleCustomer}, {Subject: "a b", Role: RoleCustomer}, {Subject: "c", Role: "admin"}} {
		if _, err := Development().Issue(p, time.Hour); err == nil {
			t.Errorf("Issue(%+v) succeeded", p)
		}
	}
}
