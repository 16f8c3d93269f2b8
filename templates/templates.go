// Package templates holds the built-in digest templates, embedded in the
// binary. A folder named by the config key `templates` may override them file
// by file; `newswatch templates` prints them for copying.
package templates

import "embed"

// HTML and Text are the file names of the two digest parts.
const (
	HTML = "digest.html.tmpl"
	Text = "digest.txt.tmpl"
)

// FS holds the built-in templates.
//
//go:embed digest.html.tmpl digest.txt.tmpl
var FS embed.FS
