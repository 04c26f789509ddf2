package order

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned when no order exists with the requested ID.
var ErrNotFound = errors.New("order not found")

// ErrUnknownEvent means a history holds an event that apply does not know:
// a nil event, most likely, from a store that could not decode one.
var ErrUnknownEvent = errors.New("unknown order event")

// ErrIllegalTransition is matched (errors.Is) by every TransitionError.
var ErrIllegalTransition = errors.New("illegal order transition")

// TransitionError says which action the order's status forbids.
type TransitionError struct {
	Action string
	From   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s an order that is %s", e.Action, e.From)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// FieldError names one field of a request that breaks a rule of the domain.
type FieldError struct {
	Field   string
	Problem string
}

// ValidationError lists every field that breaks a rule, so a caller can
// fix them all at once instead of one per round trip.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Problem
	}
	return "invalid order: " + strings.Join(parts, "; ")
}

// validation collects field errors while a constructor checks its input.
type validation struct {
	fields []FieldError
}

func (v *validation) add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validation) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}
