package inventory

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned when there is no reservation for an order.
var ErrNotFound = errors.New("no stock reservation for this order")

// ErrIllegalTransition is matched (errors.Is) by every TransitionError.
var ErrIllegalTransition = errors.New("illegal reservation transition")

// ErrBelowReserved is returned when stock on hand would fall below what
// orders hold: those units are promised.
var ErrBelowReserved = errors.New("stock on hand cannot fall below the reserved quantity")

// TransitionError says which action a reservation's status forbids.
type TransitionError struct {
	Action string
	From   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a reservation that is %s", e.Action, e.From)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// FieldError names one field that breaks a rule.
type FieldError struct {
	Field   string
	Problem string
}

// ValidationError lists every field that breaks a rule.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Problem
	}
	return "invalid inventory input: " + strings.Join(parts, "; ")
}

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
