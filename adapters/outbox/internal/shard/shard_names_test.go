package shard

import "testing"

func TestTableNamesRefuseTopicsThatAreNotPlainNames(t *testing.T) {
	if got := MessagesTable("orders_outbox_3_of_8"); got != `"watermill_orders_outbox_3_of_8"` {
		t.Errorf("MessagesTable = %s", got)
	}
	for _, topic := range []string{"", `x"; DROP TABLE orders; --`, "_orders", "orders outbox", "orders$1", "a_very_long_outbox_name_that_overflows_identifiers"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("OffsetsTable(%q) did not refuse it", topic)
				}
			}()
			_ = OffsetsTable(topic)
		}()
	}
}
