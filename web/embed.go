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

// Locales holds one JSON message file per language (de.json first, en.json second).
//
//go:embed locales
var Locales embed.FS
