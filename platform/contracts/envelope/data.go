package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// DecodeData reads an event's data into a value of the contract type E.
// Unknown fields are ignored (a producer may add fields), but every field
// E declares without omitempty must be there, and no scalar may be null:
// Go would read a missing or null field as its zero value, and a consumer
// would act on an amount or a reason nobody sent. A null slice is an empty
// list (the producers write nil slices as null).
func DecodeData[E any](data json.RawMessage) (E, error) {
	var e E
	if err := requireFields(reflect.TypeFor[E](), data, ""); err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, err
	}
	return e, nil
}

// requireFields checks that data is a JSON object holding every required
// field of the struct type t, recursing into struct and []struct fields.
func requireFields(t reflect.Type, data json.RawMessage, path string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("%s: %w", describe(path), err)
	}
	if fields == nil {
		return fmt.Errorf("%s: is null, want an object", describe(path))
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" || strings.Contains(opts, "omitempty") {
			continue
		}
		raw, ok := fields[name]
		isNull := ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		switch {
		case !ok:
			return fmt.Errorf("%s is missing", path+name)
		case isList(f.Type) && isNull:
			continue
		case isNull:
			return fmt.Errorf("%s is null", path+name)
		case f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(unmarshalerType):
			if err := requireFields(f.Type, raw, path+name+"."); err != nil {
				return err
			}
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			if err := requireEach(f.Type.Elem(), raw, path+name); err != nil {
				return err
			}
		}
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// isList: a slice other than bytes (json.RawMessage is data, not a list).
func isList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8
}

func requireEach(t reflect.Type, data json.RawMessage, path string) error {
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, raw := range elems {
		if err := requireFields(t, raw, fmt.Sprintf("%s[%d].", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func describe(path string) string {
	if path == "" {
		return "data"
	}
	return strings.TrimSuffix(path, ".")
}
