// Package migrations holds the hub's numbered SQL migrations, embedded in the
// binary so that `hub migrate` needs nothing from the file system.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_name.sql (goose format).
//
//go:embed *.sql
var FS embed.FS
