package pgtx

import "context"

// Batched reports whether the unit of work is one of a Batch's: writes that
// the batch's members have in common can then be gathered and made in one
// statement before it commits (Gather, Value), instead of one per member.
func (u *UnitOfWork) Batched() bool {
	return u.transaction != nil && u.batched
}

// PartitionKeys are the orders the members of the unit of work's batch
// are about, as Begin was told; nil alone. A repository that reads a row
// per order reads those of all of them when the first is asked for.
func (u *UnitOfWork) PartitionKeys() []string {
	if !u.Batched() {
		return nil
	}
	return u.partitionKeys
}

// Value returns the transaction's value under key: the first call makes it
// with newValue and registers write to store it just before the
// transaction commits. write's error rolls the transaction back: a batch
// then runs its members one by one (docs/saga.md, "Batches"). ctx is the
// first caller's, without its cancellation: a batch outlives its members.
func Value[T any](ctx context.Context, u *UnitOfWork, key any, newValue func() T, write func(ctx context.Context, v T) error) T {
	u.shared()
	if v, ok := u.values[key].(T); ok {
		return v
	}
	v := newValue()
	if u.values == nil {
		u.values = map[any]any{}
	}
	u.values[key] = v
	ctx = context.WithoutCancel(ctx)
	u.beforeCommit = append(u.beforeCommit, func() error { return write(ctx, v) })
	return v
}

// Gather writes items with write: at once for a unit of work alone; in a
// batch, it adds them to the transaction's list under key, and write
// stores the whole list, in one statement, just before the batch commits
// (see Value).
func Gather[T any](ctx context.Context, u *UnitOfWork, key any, write func(ctx context.Context, items []T) error, items ...T) error {
	if !u.Batched() {
		return write(ctx, items)
	}
	list := Value(ctx, u, key, func() *[]T { return new([]T) }, func(ctx context.Context, list *[]T) error { return write(ctx, *list) })
	*list = append(*list, items...)
	return nil
}

// flush runs the writes registered by Value, in the order of registration.
func (t *transaction) flush() error {
	for _, write := range t.beforeCommit {
		if err := write(); err != nil {
			return err
		}
	}
	return nil
}
