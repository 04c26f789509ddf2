package httpapi_test

import (
	"io"
	"net/http"
	"testing"
)

// A placement is answered from the placed order, without reading it back:
// the answer must be, byte for byte, what reading the order shows.
func TestPlacementAnswersWhatAReadOfTheOrderShows(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		for range 20 { // times of many placements, so that no rounding differs
			placed := api.post(t, "/orders", validOrder)
			if placed.StatusCode != http.StatusCreated {
				t.Fatalf("POST /orders = %d", placed.StatusCode)
			}
			placedBody, err := io.ReadAll(placed.Body)
			if err != nil {
				t.Fatal(err)
			}
			read := api.get(t, placed.Header.Get("Location"))
			readBody, err := io.ReadAll(read.Body)
			if err != nil {
				t.Fatal(err)
			}
			if read.StatusCode != http.StatusOK || string(readBody) != string(placedBody) {
				t.Fatalf("GET %s = %d\n%s\nwant what POST answered:\n%s", placed.Header.Get("Location"), read.StatusCode, readBody, placedBody)
			}
			if placed.Header.Get("ETag") != read.Header.Get("ETag") {
				t.Errorf("ETag %q on placing, %q on reading", placed.Header.Get("ETag"), read.Header.Get("ETag"))
			}
		}
	})
}
