package main

import (
	"context"
	"database/sql/driver"
)

// The write path runs its statements prepared (pgtx.Statements): the
// recording connection hands out statements that record each execution
// inside a transaction as the conn's ExecContext and QueryContext do, so
// the capture sees the same statements whether they ran prepared or not.

func (c *recordingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, errUnsupported
	}
	stmt, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &recordingStmt{Stmt: stmt, query: query, rec: c.rec}, nil
}

// CheckNamedValue converts arguments as lib/pq's connection does.
func (c *recordingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if checker, ok := c.Conn.(driver.NamedValueChecker); ok {
		return checker.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type recordingStmt struct {
	driver.Stmt
	query string
	rec   *recorder
}

func (s *recordingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errUnsupported
	}
	s.rec.record(s.query, args)
	return e.ExecContext(ctx, args)
}

func (s *recordingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errUnsupported
	}
	s.rec.record(s.query, args)
	return q.QueryContext(ctx, args)
}
