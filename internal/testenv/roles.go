package testenv

import (
	"net/url"
	"testing"
)

// ServiceRoles are the services' database roles that scripts/services.sh
// creates (password = name) and migration 00036 grants their own tables.
var ServiceRoles = map[string]string{"orders": "orders_app", "inventory": "inventory_app", "payment": "payment_app"}

// RoleURL is dbURL logged in as role, with the role's local password.
func RoleURL(t testing.TB, dbURL, role string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	u.User = url.UserPassword(role, role)
	return u.String()
}
