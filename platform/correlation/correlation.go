// Package correlation carries one correlation ID from the HTTP request that
// started a flow through every message the flow produces, across services.
package correlation

import (
	"context"
	"net/http"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
)

// Header is the HTTP header that carries the correlation ID.
const Header = "X-Correlation-ID"

type ctxKey struct{}

// WithID returns ctx carrying the correlation ID id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// ID returns the correlation ID ctx carries, or "".
func ID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Stamp sets ctx's correlation ID on msgs that have none yet.
func Stamp(ctx context.Context, msgs ...*message.Message) {
	if id := ID(ctx); id != "" {
		for _, msg := range msgs {
			middleware.SetCorrelationID(id, msg)
		}
	}
}

// HTTP takes the request's correlation ID from the X-Correlation-ID header,
// or makes one, puts it in the request context and echoes it back.
func HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if id == "" || len(id) > 128 {
			id = uuid.NewString()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(WithID(r.Context(), id)))
	})
}

// Watermill is router middleware that puts a consumed message's
// correlation ID into its context, so whatever the handler publishes
// (through an outbox, within its transaction) carries it on.
func Watermill(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if id := middleware.MessageCorrelationID(msg); id != "" {
			msg.SetContext(WithID(msg.Context(), id))
		}
		return h(msg)
	}
}
