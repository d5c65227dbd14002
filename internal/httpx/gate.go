package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The input gate. PostgreSQL refuses text with a NUL byte or invalid UTF-8 — with an
// error that would be a 500 — so such bytes never get past the gate: Screen runs before
// authentication on the path, the query and the headers Lotse reads, ScreenForm on form
// bodies, ScreenJSON (in ReadJSON) on JSON bodies; cursors and dates are checked where
// they are decoded (store.decodeKeyset, domain.ParseDate). A bad value is a 422 naming
// its field; a bad name, path or header is a 400 (naming the header).

// HeaderLimits are the request headers Lotse reads, each with the longest value it takes
// (bytes). Go's server caps all headers together at MaxHeaderBytes (64 KiB); these are
// far below that. X-Request-ID is not here: a client's id is only logged, and dropped
// when it is not short printable ASCII (server.observe).
var HeaderLimits = []struct {
	Name  string
	Limit int
}{
	{"Accept-Language", 256},
	{"Authorization", 512},
	{"Content-Type", 256},
	{"Cookie", 8 << 10},
	{"Idempotency-Key", 256},
	{"If-Match", 64},
	{"User-Agent", 1024},
}

// Text reports whether s can be stored as text: valid UTF-8 without NUL bytes.
func Text(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// cleanPath: no path of Lotse holds a control character, so none is taken.
func cleanPath(p string) bool {
	if !utf8.ValidString(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// badBytes is the answer for bad bytes where no field can be named (a path, the name of
// a parameter or member): 400.
func badBytes() *domain.Error { return domain.Errorf(domain.ErrBadRequest, "error.bad_bytes") }

// badHeader is a 400 naming the header.
func badHeader(name, msg string) *domain.Error {
	return &domain.Error{Code: domain.ErrBadRequest, Message: "error.bad_header",
		Fields: []domain.FieldError{{Field: name, Message: msg}}}
}

// Screen checks what every request carries before anything reads it: the path (400 for
// bad bytes or control characters), the headers of HeaderLimits (400 naming the header
// when too long or not text) and the query (400 for a bad parameter name, 422 naming
// every parameter whose value is not text).
func Screen(r *http.Request) error {
	if !cleanPath(r.URL.Path) {
		return badBytes()
	}
	for _, h := range HeaderLimits {
		for _, v := range r.Header.Values(h.Name) {
			if len(v) > h.Limit {
				return badHeader(h.Name, "validation.header_too_long")
			}
			if !Text(v) {
				return badHeader(h.Name, "validation.bad_bytes")
			}
		}
	}
	// Malformed escapes are dropped as Gin drops them (c.Query); what is decoded is checked.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return screenValues(q)
}

// screenValues: a bad name is 400, bad values are 422 naming each parameter.
func screenValues(v url.Values) error {
	var p domain.Problems
	for name, values := range v {
		if !Text(name) {
			return badBytes()
		}
		for _, s := range values {
			if !Text(s) {
				p.Add(name, "validation.bad_bytes")
				break
			}
		}
	}
	return p.Err()
}

// ScreenForm parses a url-encoded or multipart form body (other bodies are left alone)
// and checks it like the query: 400 for a bad field name or a body that is no form,
// 413 over the route's body limit, 422 naming every field whose value is not text.
func ScreenForm(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		// The body is bounded already (http.MaxBytesReader with the route's limit, in
		// server.limit); 1 MiB is what multipart may keep in memory of it.
		err = r.ParseMultipartForm(1 << 20) //nolint:gosec // bounded by the route's body limit, see above

	default:
		return nil
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return domain.Errorf(domain.ErrTooLarge, "error.body_too_large")
		}
		return domain.Errorf(domain.ErrBadRequest, "error.malformed_form")
	}
	if r.MultipartForm != nil {
		if err := screenValues(r.MultipartForm.Value); err != nil {
			return err
		}
	}
	return screenValues(r.PostForm)
}

var escapedNUL = []byte(`\u0000`)

// ScreenJSON checks the strings of a JSON body: 422 naming the member ("founder.given_name",
// "languages[1]") whose value holds invalid UTF-8 or a NUL (raw or \u0000), 400 when a
// member's name does. encoding/json would quietly turn invalid UTF-8 into U+FFFD; the
// gate refuses it instead, so that what is stored is what was sent. Bodies that are no
// JSON pass: the decoder refuses them.
func ScreenJSON(b []byte) error {
	if utf8.Valid(b) && !bytes.Contains(b, escapedNUL) {
		return nil // the common case: nothing to look for
	}
	field, bad := findBadString(b)
	switch {
	case !bad:
		return nil
	case field == "":
		return badBytes()
	}
	return &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
		Fields: []domain.FieldError{{Field: field, Message: "validation.bad_bytes"}}}
}

// jsonFrame is one open object or array while walking a JSON document.
type jsonFrame struct {
	object    bool
	wantKey   bool   // in an object: the next string is a member name
	key       string // in an object: the current member
	index     int    // in an array: the current element
	hasMember bool
}

// findBadString walks the tokens of b and returns the path of the first string value
// that is not text; a bad member name gives bad with field "". A syntax error ends the
// walk with what was found so far.
func findBadString(b []byte) (field string, bad bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*jsonFrame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			switch {
			case f.object && f.hasMember:
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			case !f.object:
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return sb.String()
	}
	// next: a value has ended in the innermost container.
	next := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	prev := dec.InputOffset()
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return "", false
		}
		raw := b[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &jsonFrame{object: true, wantKey: true})
			case '[':
				stack = append(stack, &jsonFrame{})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			ok := utf8.Valid(raw) && strings.IndexByte(v, 0) < 0
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if !ok {
					return "", true
				}
				stack[n-1].key, stack[n-1].wantKey, stack[n-1].hasMember = v, false, true
				continue
			}
			if !ok {
				return path(), true
			}
			next()
		default:
			next()
		}
	}
}
