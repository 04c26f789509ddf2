package inventoryhttp_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/inventoryhttp"
)

// FuzzStock sends the inventory API any SKU and body, on the real
// PostgreSQL store: text the store cannot hold, numbers out of range and
// bodies that are no stock level must be 4xx problems (RFC 9457), never a
// 5xx or a panic. A successful PUT must answer with the level it set.
func FuzzStock(f *testing.F) {
	handler := inventoryhttp.NewHandler(testenv.InventoryApplication(f, testenv.DB(f)), testenv.Auth())
	token := testenv.OperatorToken(f)
	for _, seed := range []struct{ sku, body string }{
		{"BOOK", `{"on_hand": 5}`},
		{"BOOK", `{"on_hand": -1}`},
		{"BOOK", `{"on_hand": 1000000001}`},
		{"BOOK", `{"on_hand": 1.5}`},
		{"BOOK", `{"on_hand": null}`},
		{"BOOK", `{}`},
		{"BOOK", `{"on_hand": 5, "reserved": 2}`},
		{"NUL\x00SKU", `{"on_hand": 5}`},
		{"\xff\xfe", `{"on_hand": 5}`},
		{strings.Repeat("S", 65), `{"on_hand": 5}`},
		{"a/b", `{"on_hand": 5}`},
		{" ", `{"on_hand": 0}`},
	} {
		f.Add(seed.sku, []byte(seed.body), "application/json", true)
		f.Add(seed.sku, []byte(seed.body), "application/json", false)
	}
	f.Fuzz(func(t *testing.T, sku string, body []byte, contentType string, put bool) {
		method := http.MethodGet
		if put {
			method = http.MethodPut
		}
		req := httptest.NewRequest(method, "/inventory/stock/"+url.PathEscape(sku), bytes.NewReader(body))
		req.Header.Set("Content-Type", strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(contentType))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		testenv.RequireClientAnswer(t, rec)
		if put && rec.Code == http.StatusOK && !bytes.Contains(rec.Body.Bytes(), []byte(`"on_hand":`)) {
			t.Fatalf("PUT answered 200 without a stock level: %s", rec.Body)
		}
	})
}
