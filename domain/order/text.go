package order

import "strings"

// IsIdentifier reports whether s can be a customer ID or a SKU: 1 to max
// printable ASCII characters, no spaces. Identifiers travel in URLs, logs
// and the read model's columns; control characters (NUL above all, which
// PostgreSQL cannot store) and look-alike Unicode have no place in them.
func IsIdentifier(s string, maxLength int) bool {
	if s == "" || len(s) > maxLength {
		return false
	}
	for i := range len(s) {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// hasNUL reports whether free text holds a NUL character, which no
// PostgreSQL text or JSONB value can store.
func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }
