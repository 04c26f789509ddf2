package outbox

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
)

// frameMagic starts every frame Marshaler writes. Its first byte, NUL, can
// start no JSON document, so a stored envelope is a frame or the JSON
// envelope of Watermill's DefaultMarshaler (rows written before frames).
var frameMagic = []byte{0, 'o', 'b', 1}

// Marshaler is the forwarder.Marshaler of the outbox, used by the Publisher
// (forwarder.PublisherConfig) and by the forwarder's Watermill forwarders
// (forwarder.Config). It stores the forwarder's envelope as a frame:
//
//	"\x00ob\x01", then uvarint-length-prefixed destination topic and UUID,
//	a uvarint count of metadata pairs, each key and value length-prefixed,
//	and then the message payload as it is, to the end.
//
// So the forwarder slices the payload out of the stored bytes and hands the
// same bytes to Kafka: no base64, no JSON escaping or decoding. It also
// reads the JSON envelope of rows written before frames existed.
//
// Watermill hands Marshal and Unmarshal a pointer to its unexported
// envelope struct; Marshaler reads and fills it through reflection, by the
// field names and types it has in watermill v1.5.2 (the same as Envelope's).
// Anything else is an error, and marshaler_test.go round-trips through the
// real forwarder.NewPublisher and forwarder.NewForwarder, so a Watermill
// upgrade that changes the envelope fails loudly.
type Marshaler struct{}

// Envelope has the fields of Watermill's forwarder envelope, for code that
// reads stored envelopes itself (Marshaler{}.Unmarshal(data, &env)).
type Envelope struct {
	DestinationTopic string            `json:"destination_topic"`
	UUID             string            `json:"uuid"`
	Payload          []byte            `json:"payload"`
	Metadata         map[string]string `json:"metadata"`
}

// envelopeFields are the fields, in order, that Marshaler needs.
var envelopeFields = reflect.TypeFor[Envelope]()

// checkedEnvelope is the last other type found to have envelopeFields'
// fields (Watermill's envelope): the check costs more than the rest of
// Unmarshal, so it runs once.
var checkedEnvelope atomic.Value // reflect.Type

func envelopeValue(v any) (reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("outbox marshaler: want a pointer to the forwarder envelope, got %T", v)
	}
	rv = rv.Elem()
	t := rv.Type()
	if t != envelopeFields && checkedEnvelope.Load() != t {
		if t.NumField() != envelopeFields.NumField() {
			return reflect.Value{}, fmt.Errorf("outbox marshaler: %v is not the forwarder envelope it knows", t)
		}
		for i := range t.NumField() {
			f, want := t.Field(i), envelopeFields.Field(i)
			if f.Name != want.Name || f.Type != want.Type {
				return reflect.Value{}, fmt.Errorf("outbox marshaler: %v is not the forwarder envelope it knows (field %d: %s %v)", t, i, f.Name, f.Type)
			}
		}
		checkedEnvelope.Store(t)
	}
	return rv, nil
}

// Marshal frames the envelope v.
func (Marshaler) Marshal(v any) ([]byte, error) {
	rv, err := envelopeValue(v)
	if err != nil {
		return nil, err
	}
	dest, uuid, payload := rv.Field(0).String(), rv.Field(1).String(), rv.Field(2).Bytes()
	metadata, _ := rv.Field(3).Interface().(map[string]string)
	keys := make([]string, 0, len(metadata))
	size := len(frameMagic) + len(dest) + len(uuid) + len(payload) + 3*binary.MaxVarintLen32
	for k, val := range metadata {
		keys = append(keys, k)
		size += len(k) + len(val) + 2*binary.MaxVarintLen32
	}
	slices.Sort(keys) // the same message gives the same bytes
	b := make([]byte, 0, size)
	b = append(b, frameMagic...)
	b = appendString(b, dest)
	b = appendString(b, uuid)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(appendString(b, k), metadata[k])
	}
	return append(b, payload...), nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Unmarshal fills the envelope v from a frame, or from the JSON envelope of
// a row written before frames. The payload is a slice of data, not a copy.
func (Marshaler) Unmarshal(data []byte, v any) error {
	rv, err := envelopeValue(v)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, frameMagic) {
		return json.Unmarshal(data, v) // the old envelope
	}
	r := frameReader{data: data, off: len(frameMagic)}
	dest, uuid := r.string(), r.string()
	n := r.uvarint()
	if r.err == nil && n > uint64(len(data)) {
		r.err = errors.New("metadata count beyond the frame")
	}
	metadata := make(map[string]string, min(n, 64))
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.string()
		metadata[k] = r.string()
	}
	if r.err != nil {
		return fmt.Errorf("outbox frame: %w", r.err)
	}
	rv.Field(0).SetString(dest)
	rv.Field(1).SetString(uuid)
	rv.Field(2).SetBytes(data[r.off:len(data):len(data)])
	rv.Field(3).Set(reflect.ValueOf(metadata))
	return nil
}

type frameReader struct {
	data []byte
	off  int
	err  error
}

func (r *frameReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.err = errors.New("bad length")
		return 0
	}
	r.off += n
	return v
}

func (r *frameReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.data)-r.off) {
		r.err = errors.New("length beyond the frame")
		return ""
	}
	s := string(r.data[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}
