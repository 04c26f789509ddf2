// Package openapitest checks HTTP responses against an OpenAPI document.
// It needs nothing but the document, so tests of a port on in-memory
// adapters use it without any service running.
package openapitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// ConformingClient returns an HTTP client that fails t when a response's
// route, status, headers or body is not what the OpenAPI document spec
// says. Tests that use it check the document and the handlers agree.
func ConformingClient(t *testing.T, spec []byte) *http.Client {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	doc.Servers = nil // match any host, such as a test server's
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	return &http.Client{Transport: &conformingTransport{t: t, router: router}}
}

type conformingTransport struct {
	t      *testing.T
	router routers.Router
}

func (c *conformingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return resp, nil
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true}, // an undocumented status is a divergence too
	})
	if err != nil {
		c.t.Errorf("%s %s → %d diverges from the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}
