package httpapi

import (
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
)

// ifMatchSyntax is RFC 9110's If-Match without obsolete text: "*" or a
// comma-separated list of entity tags, each quoted and maybe weak.
var ifMatchSyntax = regexp.MustCompile(`^(\*|(W/)?"[!#-~]*"( *, *(W/)?"[!#-~]*")*)$`)

// entityTag is one tag of an If-Match list.
var entityTag = regexp.MustCompile(`(W/)?"([!#-~]*)"`)

// neverMatches is an expected version no order reaches: the precondition
// of an If-Match none of whose tags can match fails (412), and an order
// that does not exist is still a 404.
const neverMatches = math.MaxInt32

// errPreconditionFailed: the order is not at a version the If-Match names.
var errPreconditionFailed = errors.New("precondition failed")

// ifMatchVersion reads If-Match into the version the command expects
// (zero: no precondition). An order's ETag is its version, strong and
// quoted ("3"). If-Match compares strongly (RFC 9110 13.1.1): weak tags,
// tags that are not versions and values that are no list of tags never
// match, so the precondition fails (412), as any other mismatch. A list of several versions
// is resolved against the order's current one; the command still checks
// it atomically.
func (s *server) ifMatchVersion(r *http.Request, id order.ID) (int, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return 0, nil
	}
	raw := strings.TrimSpace(strings.Join(values, ", "))
	if !ifMatchSyntax.MatchString(raw) {
		return neverMatches, nil // a value that names no entity tag matches none
	}
	if raw == "*" {
		return 0, nil // any current order: the command needs one anyway
	}
	var versions []int
	for _, tag := range entityTag.FindAllStringSubmatch(raw, -1) {
		v, err := strconv.Atoi(tag[2])
		if tag[1] == "" && err == nil && v >= 1 && strconv.Itoa(v) == tag[2] {
			versions = append(versions, v)
		}
	}
	switch len(versions) {
	case 0:
		return neverMatches, nil
	case 1:
		return versions[0], nil
	}
	current, err := s.app.Queries.GetOrder.Handle(r.Context(), query.GetOrder{OrderID: id})
	if err != nil {
		return 0, err
	}
	for _, v := range versions {
		if v == current.Version {
			return v, nil
		}
	}
	return neverMatches, nil
}

// preconditionChecked turns a command's version conflict into a failed
// precondition when the client named the version (If-Match): without one,
// a conflict is a lost race (409).
func preconditionChecked(expected int, err error) error {
	if expected > 0 && errors.Is(err, command.ErrConcurrentUpdate) {
		return errPreconditionFailed
	}
	return err
}
