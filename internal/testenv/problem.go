package testenv

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// RequireClientAnswer fails the test unless rec holds what an API owes any
// request, however malformed: no 5xx, and every 4xx an RFC 9457 problem
// (application/problem+json whose status is the response's). It returns
// the status. The fuzz targets of the APIs check every answer with it.
func RequireClientAnswer(t testing.TB, rec *httptest.ResponseRecorder) int {
	t.Helper()
	status := rec.Code
	if status >= 500 {
		t.Fatalf("status %d (a server error for a client's input): %s", status, rec.Body.String())
	}
	if status < 400 {
		return status
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d with Content-Type %q, want application/problem+json: %s", status, ct, rec.Body.String())
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("status %d: the problem is not JSON: %v: %s", status, err, rec.Body.String())
	}
	if p.Status != status || p.Type == "" || p.Title == "" {
		t.Fatalf("status %d: problem %+v names another status or lacks type/title", status, p)
	}
	return status
}
