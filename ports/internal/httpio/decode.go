package httpio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes bounds a request body; the largest valid order fits well
// within it.
const MaxBodyBytes = 64 << 10

// DecodeJSON reads exactly one JSON object into dst, refusing unknown
// fields, other media types and bodies over MaxBodyBytes. Its errors are
// RequestErrors that name the offending field where there is one.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return &RequestError{Problem: Problem{
			Type: TypeUnsupportedMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "the request body must be application/json",
		}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if err := rejectNull(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return malformed("the body must hold a single JSON object", "")
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for a body the client may leave out: a
// request without body and without Content-Type leaves dst as it is.
func DecodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return DecodeJSON(w, r, dst)
}

// rejectNull refuses a JSON null anywhere in a body: no field of the
// APIs' requests is nullable, and Go would read a null as the zero value,
// as if the client had sent it.
func rejectNull(body []byte) error {
	// A null token is the bytes "null" outside a string: a body without
	// them (nearly every one) needs no second pass of the decoder.
	if !bytes.Contains(body, []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// Up to the end, or to a syntax error that the decoding reports.
	for tok, err := dec.Token(); err == nil; tok, err = dec.Token() {
		if tok == nil {
			return malformed("null is not a valid value of any field", "")
		}
	}
	return nil
}

// MissingField is the error of a required field a body left out.
func MissingField(field string) error {
	return malformed(field+" is required", field)
}

func malformed(detail, field string) error {
	p := Problem{Type: TypeMalformedRequest, Title: "The request body is malformed", Status: http.StatusBadRequest, Detail: detail}
	if field != "" {
		p.Errors = []ProblemField{{Field: field, Detail: detail}}
	}
	return &RequestError{Problem: p}
}

func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
	)
	var requestErr *RequestError
	switch {
	case errors.As(err, &requestErr): // a type's own UnmarshalJSON said what is wrong
		return requestErr
	case errors.As(err, &tooLarge):
		return &RequestError{Problem: Problem{
			Type: TypeTooLarge, Title: "Payload too large", Status: http.StatusRequestEntityTooLarge,
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
	default: // the decoder's other messages name Go types: not for clients
		return malformed("the body is not a valid JSON object for this request", "")
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
