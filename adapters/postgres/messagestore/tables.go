// Package messagestore keeps, in PostgreSQL, what a message consumer needs
// besides its business tables: the inbox (which messages it applied, for
// deduplication) and the parked messages (those it will not apply until an
// operator steps in). Each service has its own pair of tables, created by
// its migration.
package messagestore

import (
	"fmt"
	"regexp"
)

// Tables names a service's inbox and parked-messages tables.
type Tables struct {
	Inbox  string
	Parked string
}

// The services' tables (see migrations/00020-00022).
var (
	InventoryTables = Tables{Inbox: "inventory_inbox", Parked: "inventory_parked_messages"}
	PaymentTables   = Tables{Inbox: "payment_inbox", Parked: "payment_parked_messages"}
	SagaTables      = Tables{Inbox: "order_saga_inbox", Parked: "order_saga_parked_messages"}
)

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate refuses names that are not plain identifiers: they are put
// into SQL text.
func (t Tables) Validate() error {
	for _, name := range []string{t.Inbox, t.Parked} {
		if err := ValidateTable(name); err != nil {
			return err
		}
	}
	return nil
}

// ValidateTable refuses a table name that is not a plain identifier.
func ValidateTable(name string) error {
	if !identifier.MatchString(name) {
		return fmt.Errorf("table name %q: want a lower-case SQL identifier", name)
	}
	return nil
}
