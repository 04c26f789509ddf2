package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBodyBytes bounds a request body; an order of MaxOrderLines lines fits
// well within it.
const maxBodyBytes = 64 << 10

// requestError is a client mistake found before the application runs.
type requestError struct {
	problem Problem
}

func (e *requestError) Error() string { return e.problem.Detail }

func invalidParameter(name, detail string) error {
	return &requestError{problem: Problem{
		Type: problemInvalidParameter, Title: "A query parameter is invalid", Status: http.StatusBadRequest,
		Detail: name + " " + detail, Errors: []ProblemField{{Field: name, Detail: detail}},
	}}
}

func invalidHeader(name, detail string) error {
	return &requestError{problem: Problem{
		Type: problemInvalidHeader, Title: "A request header is invalid", Status: http.StatusBadRequest,
		Detail: name + " " + detail, Errors: []ProblemField{{Field: name, Detail: detail}},
	}}
}

func malformed(detail string, field string) error {
	p := Problem{Type: problemMalformedRequest, Title: "The request body is malformed", Status: http.StatusBadRequest, Detail: detail}
	if field != "" {
		p.Errors = []ProblemField{{Field: field, Detail: detail}}
	}
	return &requestError{problem: p}
}

// decodeJSON reads exactly one JSON object into dst, refusing unknown
// fields, other media types and bodies over maxBodyBytes. With optional, an
// empty body leaves dst as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return &requestError{problem: Problem{
			Type: problemUnsupportedMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "the request body must be application/json",
		}}
	}

	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return malformed("the body must hold a single JSON object", "")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &requestError{problem: Problem{
			Type: problemTooLarge, Title: "Payload too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the request body must be at most %d bytes", tooLarge.Limit),
		}}
	case errors.As(err, &syntaxErr):
		return malformed(fmt.Sprintf("invalid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr), "")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("the body is empty or ends early", "")
	case errors.As(err, &typeErr):
		return malformed(fmt.Sprintf("%s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String())), typeErr.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformed(fmt.Sprintf("unknown field %q", field), field)
	default:
		return malformed(err.Error(), "")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	default:
		return goKind
	}
}
