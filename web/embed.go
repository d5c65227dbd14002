// Package web holds the page templates, static files and the locale files, embedded.
package web

import "embed"

// Templates are the html/template pages; layout.html wraps every page.
//
//go:embed templates
var Templates embed.FS

// Static holds CSS, JavaScript and images served under /static/.
//
//go:embed static
var Static embed.FS

// Locales holds the message files, named AREA.LANG.json (core.de.json, core.en.json, …):
// German is the default, English the second language.
//
//go:embed locales
var Locales embed.FS
