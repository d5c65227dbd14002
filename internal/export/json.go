package export

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// JSON is {"meta…": …, "rows":[{"key":value,…},…]} with one row a line, written row by
// row. Text is a string, a list an array of strings, Int and Decimal numbers, Date
// "YYYY-MM-DD", Bool true/false, empty and Suppressed cells null.

func (w *Writer) jsonHeader() error {
	b := append(w.line[:0], '{')
	keys := make([]string, 0, len(w.opts.Meta))
	for k := range w.opts.Meta {
		if k == "rows" {
			return errors.New(`export: Meta may not hold "rows"`)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(w.opts.Meta[k])
		if err != nil {
			return err
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ',')
	}
	b = append(b, `"rows":[`...)
	w.jsonKeys = make([]string, len(w.cols))
	for i, c := range w.cols {
		w.jsonKeys[i] = string(appendJSONString(nil, c.Key)) + ":"
	}
	w.line = b
	_, err := w.buf.Write(b)
	return err
}

func (w *Writer) jsonRow() error {
	b := w.line[:0]
	if w.rows > 0 {
		b = append(b, ',')
	}
	b = append(b, '\n', '{')
	w.suppressed = w.suppressed[:0]
	for i := range w.vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, w.jsonKeys[i]...)
		v := &w.vals[i]
		switch v.typ {
		case vNull:
			b = append(b, "null"...)
		case vSuppressed:
			b = append(b, "null"...)
			w.suppressed = append(w.suppressed, i)
		case vText:
			b = appendJSONString(b, v.s)
		case vList:
			b = append(b, '[')
			for j, s := range v.list {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, s)
			}
			b = append(b, ']')
		case vInt:
			b = strconv.AppendInt(b, v.i, 10)
		case vFloat:
			b = appendJSONFloat(b, v.f)
		case vDate:
			b = append(b, '"')
			b = w.appendDate(b, v.i)
			b = append(b, '"')
		case vBool:
			b = strconv.AppendBool(b, v.i != 0)
		}
	}
	if w.opts.SuppressedKey != "" && len(w.suppressed) > 0 {
		b = append(b, ',')
		b = appendJSONString(b, w.opts.SuppressedKey)
		b = append(b, ':', '[')
		for j, i := range w.suppressed {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, w.cols[i].Key)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	w.line = b
	_, err := w.buf.Write(b)
	return err
}

// appendJSONFloat writes f as encoding/json does (f is finite: toValue checked).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped (as
// encoding/json does, for JavaScript). HTML characters are left as they are: the file
// is a download, not a page.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
