// Package migrations holds the versioned SQL schema, applied by the
// "orders migrate" command through goose.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
