package main

import (
	"fmt"
	"regexp"
)

// namePattern is what Kafka accepts as a topic name, and what the
// services accept as a consumer group: names from the environment reach
// Kafka and, as literals, SQL, so anything else is refused at start.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// validateNames reports every topic and consumer group that is not a
// plain name.
func (c Config) validateNames() []error {
	var errs []error
	for _, n := range []struct{ variable, value string }{
		{"ORDERS_TOPIC", c.Topics.Orders}, {"INVENTORY_TOPIC", c.Topics.Inventory}, {"PAYMENTS_TOPIC", c.Topics.Payments},
		{"INVENTORY_DEAD_LETTER_TOPIC", c.Topics.InventoryDeadLetter}, {"PAYMENT_DEAD_LETTER_TOPIC", c.Topics.PaymentDeadLetter}, {"SAGA_DEAD_LETTER_TOPIC", c.Topics.SagaDeadLetter},
		{"INVENTORY_CONSUMER_GROUP", c.Consumers.InventoryGroup}, {"PAYMENT_CONSUMER_GROUP", c.Consumers.PaymentGroup},
		{"SAGA_CONSUMER_GROUP", c.Consumers.SagaGroup},
	} {
		if !namePattern.MatchString(n.value) {
			errs = append(errs, fmt.Errorf("%s: want 1 to 249 letters, digits, '.', '_' or '-', got %q", n.variable, n.value))
		}
	}
	return errs
}
