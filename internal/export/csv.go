package export

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CSV is written for German Excel, which opens it with a double click:
//
//   - UTF-8 with a byte order mark (without it Excel reads Windows-1252),
//   - ";" between fields (Excel's list separator in the German locale),
//   - CRLF line ends, also inside quoted fields,
//   - decimal comma (12,5), no thousands separator,
//   - dates as YYYY-MM-DD: German Excel makes date cells of them, and unlike
//     DD.MM.YYYY they mean the same in every locale and to every program,
//   - "." for a suppressed cell, Bool cells as Options.True / Options.False,
//   - text starting with = + - @ tab or carriage return (OWASP, "CSV Injection"), or
//     line feed (which goes out as CR LF), prefixed with a single quote, so Excel does
//     not run it as a formula,
//   - quoting as encoding/csv does: fields with ";", a double quote, CR or LF, or
//     starting with white space, and the field `\.`, are quoted, double quotes doubled.
//
// Line breaks within text (CRLF, CR, LF) are all written as CRLF, so encoding/csv and
// Excel read each back as one line break.

const (
	csvSeparator = ';'
	csvBOM       = "\uFEFF"
)

func (w *Writer) csvHeader() error {
	b := append(w.line[:0], csvBOM...)
	for i, c := range w.cols {
		if i > 0 {
			b = append(b, csvSeparator)
		}
		b = appendCSVText(b, c.Label)
	}
	b = append(b, '\r', '\n')
	w.line = b
	_, err := w.buf.Write(b)
	return err
}

func (w *Writer) csvRow() error {
	b := w.line[:0]
	for i := range w.vals {
		if i > 0 {
			b = append(b, csvSeparator)
		}
		b = w.appendCSVValue(b, &w.vals[i])
	}
	b = append(b, '\r', '\n')
	w.line = b
	_, err := w.buf.Write(b)
	return err
}

func (w *Writer) appendCSVValue(b []byte, v *value) []byte {
	switch v.typ {
	case vSuppressed:
		return append(b, SuppressedMark...)
	case vText:
		return appendCSVText(b, v.s)
	case vList:
		return appendCSVText(b, strings.Join(v.list, listSeparator))
	case vInt:
		return strconv.AppendInt(b, v.i, 10)
	case vFloat:
		return appendDecimalComma(b, v.f)
	case vDate:
		return w.appendDate(b, v.i)
	case vBool:
		if v.i != 0 {
			return appendCSVText(b, w.opts.True)
		}
		return appendCSVText(b, w.opts.False)
	}
	return b
}

// appendDecimalComma writes f in the shortest exact form with a decimal comma.
func appendDecimalComma(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for i := start; i < len(b); i++ {
		if b[i] == '.' {
			b[i] = ','
			break
		}
	}
	return b
}

// CSVText is the CSV field that text s becomes: formula-escaped, line breaks as CRLF,
// quoted when needed. It is what a text cell of a CSV Writer holds.
func CSVText(s string) string { return string(appendCSVText(nil, s)) }

// EscapeFormula prefixes s with a single quote when a spreadsheet would otherwise
// take it for a formula: when it starts with = + - @ tab, carriage return or line feed.
func EscapeFormula(s string) string {
	if needsFormulaEscape(s) {
		return "'" + s
	}
	return s
}

func needsFormulaEscape(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}

// appendCSVText appends text s as one CSV field.
func appendCSVText(b []byte, s string) []byte {
	s = EscapeFormula(s)
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, '"', '"')
		case '\r':
			b = append(b, '\r', '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
			b = append(b, '\r', '\n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes with ";" as the separator.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r', '"', csvSeparator:
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
