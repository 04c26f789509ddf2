package postgres

import "github.com/google/uuid"

// isOrderID reports whether id is an order ID as the service issues them:
// a UUID in canonical form, 36 lowercase characters with hyphens. Other
// spellings that uuid.Parse accepts ({…}, urn:uuid:…, no hyphens, upper
// case) name no order: PostgreSQL would read some of them as the same UUID,
// and reject others with an error.
func isOrderID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := range len(id) {
		if c := id[i]; c >= 'A' && c <= 'F' {
			return false
		}
	}
	_, err := uuid.Parse(id)
	return err == nil
}
