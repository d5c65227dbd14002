package httpx

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// refusal checks that err is a 400 or a 422 naming fields: the only refusals of the gate.
func refusal(t *testing.T, err error) *domain.Error {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("refusal %v is no domain error", err)
	}
	switch {
	case e.Code == domain.ErrInvalid && len(e.Fields) > 0, e.Code == domain.ErrBadRequest:
	default:
		t.Fatalf("refusal %v is neither 400 nor 422 with fields", err)
	}
	return e
}

// FuzzScreen: whatever the query, a header and the path hold, Screen never panics, and
// what it lets through is text everywhere; a refusal is a 400 or a 422 naming a
// parameter of the query.
func FuzzScreen(f *testing.F) {
	for _, s := range [][3]string{
		{"q=M%C3%BCller&limit=10", "de-DE,de;q=0.9", "/api/v1/cases"},
		{"q=%00", "de", "/cases"},
		{"q=%FF&cursor=%C0%AF", "en", "/"},
		{"x%00=1", "de", "/"},
		{"a=%zz&b=\xff", "de\xff", "/\x00"},
		{"cursor=MjAyNi0wMS0wMXw", "", "/api/v1/cases/\xed\xa0\x80"},
		{"", strings.Repeat("a", 300), "/static/app.css"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, query, header, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery, r.URL.Path = query, path
		r.Header["Accept-Language"] = []string{header}
		err := Screen(r)
		if err != nil {
			e := refusal(t, err)
			if e.Code == domain.ErrInvalid {
				q, _ := url.ParseQuery(query)
				for _, f := range e.Fields {
					if _, ok := q[f.Field]; !ok {
						t.Fatalf("refusal names %q, no parameter of %q", f.Field, query)
					}
				}
			}
			return
		}
		if !utf8.ValidString(path) || strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("path %q let through", path)
		}
		if len(header) > 256 || !Text(header) {
			t.Fatalf("Accept-Language %q let through", header)
		}
		q, _ := url.ParseQuery(query)
		for k, vs := range q {
			for _, v := range append(vs, k) {
				if !Text(v) {
					t.Fatalf("query %q: %q let through", query, v)
				}
			}
		}
	})
}

// FuzzScreenForm: a form body either passes with every name and value text, or is
// refused with a 400 or a 422 — never a panic.
func FuzzScreenForm(f *testing.F) {
	for _, s := range []string{"email=a%40b.de&password=x", "a=%00", "a=%FF", "%00=1", "a=\xff\xfe", "a=%zz", "a;b=c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := ScreenForm(r); err != nil {
			refusal(t, err)
			return
		}
		for k, vs := range r.PostForm {
			for _, v := range append(vs, k) {
				if !Text(v) {
					t.Fatalf("form %q: %q let through", body, v)
				}
			}
		}
	})
}

// FuzzScreenJSON: a JSON body the gate lets through is valid UTF-8 and holds no NUL in
// any name or string; a refusal is a 400 or a 422 naming a member — never a panic.
func FuzzScreenJSON(f *testing.F) {
	for _, s := range []string{
		`{"founder":{"given_name":"Amina","family_name":"Yusuf"}}`,
		`{"founder":{"given_name":"A\u0000","family_name":"B"}}`,
		"{\"founder\":{\"given_name\":\"A\xffB\"}}",
		`{"x\u0000":1}`,
		`{"roles":[{"role":"advisor"},{"role":"a\u0000"}]}`,
		`["a","b\u0000"]`,
		`{"a":"\\u0000"}`,
		"{\"a\":\"\x00\"}",
		`{"a":[1,2,{"b":"\ud800"}]}`,
		`{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := ScreenJSON(b); err != nil {
			e := refusal(t, err)
			if e.Code == domain.ErrInvalid && e.Fields[0].Field == "" {
				t.Fatalf("422 without a member name for %q", b)
			}
			return
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return // not JSON: the decoder refuses it
		}
		if !utf8.Valid(b) {
			t.Fatalf("invalid UTF-8 let through: %q", b)
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				if strings.IndexByte(x, 0) >= 0 {
					t.Fatalf("NUL let through: %q", b)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
