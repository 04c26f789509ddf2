// Package migrations holds the versioned SQL schema, applied by the
// "orders migrate" command through goose. Each migration holds its own SQL
// and calls no other code of ours, so that it never changes once applied.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
