package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

const ctxBody = "lotse.body"

// ReadJSON reads the request body of a JSON request, refusing other content types and
// bodies whose strings are not text (ScreenJSON: 422 naming the member).
func ReadJSON(c *gin.Context) ([]byte, error) {
	if b, ok := c.Get(ctxBody); ok {
		return b.([]byte), nil
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, domain.Errorf(domain.ErrUnsupportedMedia, "error.json_required")
	}
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, domain.Errorf(domain.ErrTooLarge, "error.body_too_large")
		}
		return nil, domain.Errorf(domain.ErrBadRequest, "error.malformed_json")
	}
	if err := ScreenJSON(b); err != nil {
		return nil, err
	}
	c.Set(ctxBody, b)
	return b, nil
}

// DecodeJSON decodes b strictly into dst: unknown fields and trailing data are 400,
// a value of the wrong type 422 naming the field.
func DecodeJSON(b []byte, dst any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			field := typeErr.Field
			if field == "" {
				return domain.Errorf(domain.ErrBadRequest, "error.malformed_json")
			}
			return &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
				Fields: []domain.FieldError{{Field: field, Message: "validation.type"}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &domain.Error{Code: domain.ErrBadRequest, Message: "error.unknown_field",
				Fields: []domain.FieldError{{Field: name, Message: "error.unknown_field"}}}
		case strings.Contains(err.Error(), "date must be"), strings.Contains(err.Error(), "invalid UUID"):
			return &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
				Fields: []domain.FieldError{{Field: badField(b, reflect.TypeOf(dst)), Message: domain.DateProblem(err)}}}
		}
		return domain.Errorf(domain.ErrBadRequest, "error.malformed_json")
	}
	if dec.More() {
		return domain.Errorf(domain.ErrBadRequest, "error.malformed_json")
	}
	return nil
}

// badField finds the field of a JSON body b that type t cannot take. encoding/json names
// no field for errors of UnmarshalJSON/UnmarshalText methods (dates, UUIDs), so each
// member is decoded on its own until the one that fails is found: "business.founded_on",
// "co_advisor_ids[1]". "" when none is found.
func badField(b []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fails := func(raw []byte, t reflect.Type) bool { return json.Unmarshal(raw, reflect.New(t).Interface()) != nil }
	join := func(name, sub string) string {
		if sub == "" || strings.HasPrefix(sub, "[") {
			return name + sub
		}
		return name + "." + sub
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			return ""
		}
		for name, raw := range obj {
			if ft, ok := jsonFieldType(t, name); ok && fails(raw, ft) {
				return join(name, badField(raw, ft))
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return ""
		}
		for i, raw := range items {
			if fails(raw, t.Elem()) {
				return join("["+strconv.Itoa(i)+"]", badField(raw, t.Elem()))
			}
		}
	}
	return ""
}

// jsonFieldType is the type of the member called name in struct t (embedded structs included).
func jsonFieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			if ft, ok := jsonFieldType(f.Type, name); ok {
				return ft, true
			}
			continue
		}
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f.Type, true
		}
	}
	return nil, false
}

// Bind reads and strictly decodes the JSON body into dst (which may hold the current
// values, so fields left out keep them). The use case validates.
func Bind(c *gin.Context, dst any) error {
	b, err := ReadJSON(c)
	if err != nil {
		return err
	}
	return DecodeJSON(b, dst)
}

// BindQuery binds query parameters into dst (form tags); the use case validates.
func BindQuery(c *gin.Context, dst any) error {
	if err := c.ShouldBindQuery(dst); err != nil {
		return &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
			Fields: []domain.FieldError{{Field: "query", Message: "validation.format"}}}
	}
	return nil
}

// IfMatch reads the version a change is based on from If-Match: 428 when missing,
// 412 when it is no version of ours.
func IfMatch(c *gin.Context) (int, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		return 0, domain.Errorf(domain.ErrPreconditionRequired, "error.if_match_required")
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.Atoi(strings.Trim(h, `"`))
	if err != nil || v < 1 {
		return 0, domain.Errorf(domain.ErrPreconditionFailed, "error.stale_version")
	}
	return v, nil
}

// SetETag announces the version of the object in the answer.
func SetETag(c *gin.Context, version int) { c.Header("ETag", `"`+strconv.Itoa(version)+`"`) }

// PathID parses the :id of the route; anything that is no UUID is simply not found.
func PathID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, domain.NotFound()
	}
	return id, nil
}

// Idempotency returns the request's Idempotency-Key with its body, or nil without key.
func Idempotency(c *gin.Context) (*store.Idempotency, error) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > 200 {
		return nil, domain.Invalid("Idempotency-Key", "validation.max")
	}
	b, err := ReadJSON(c)
	if err != nil {
		return nil, err
	}
	return &store.Idempotency{Key: key, Route: c.Request.Method + " " + c.FullPath() + " " + c.Param("id"), Body: withoutSecrets(b)}, nil
}

// PrefixFields puts prefix before the field names of a decoding error of a nested object.
func PrefixFields(err error, prefix string) error {
	return MapFields(err, func(f string) string { return prefix + f })
}

// MapFields returns err with its field names rewritten by name; other errors as they are.
func MapFields(err error, name func(string) string) error {
	var e *domain.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Fields = make([]domain.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		f.Field = name(f.Field)
		out.Fields[i] = f
	}
	return &out
}

// ID parses the path parameter name; anything that is no UUID is simply not found.
func ID(c *gin.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, domain.NotFound()
	}
	return id, nil
}

// List is the answer of every list: {"items": [...], "next_cursor": "…" | null}.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// ListOf makes a list answer; next "" is the last page.
func ListOf[T any](items []T, next string) List[T] {
	l := List[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// CaseFilter reads the list query: phase, status, advisor_id, q, limit, cursor, stalled
// and overdue ("true" or "1"; "false", "0" or nothing for off). A value that is no id, no
// number or no yes/no is a 422 naming it; the use case validates the rest.
func CaseFilter(c *gin.Context) (domain.CaseFilter, error) {
	f := domain.CaseFilter{Phase: c.Query("phase"), Status: c.Query("status"), Query: c.Query("q"), Cursor: c.Query("cursor")}
	var p domain.Problems
	flag := func(name string) bool {
		switch c.Query(name) {
		case "true", "1":
			return true
		case "", "false", "0":
			return false
		}
		p.Add(name, "validation.type")
		return false
	}
	f.Stalled, f.Overdue = flag("stalled"), flag("overdue")
	if v := c.Query("advisor_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			p.Add("advisor_id", "validation.format")
		}
		f.AdvisorID = &id
	}
	f.Limit = queryLimit(c, &p)
	return f, p.Err()
}

// queryLimit reads ?limit= (0 when absent; the use case applies its default and bounds).
func queryLimit(c *gin.Context, p *domain.Problems) int {
	v := c.Query("limit")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.Add("limit", "validation.type")
	}
	return n
}
