package server

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
	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

const ctxBody = "lotse.body"

// readJSON reads the request body of a JSON request, refusing other content types.
func readJSON(c *gin.Context) ([]byte, error) {
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
	c.Set(ctxBody, b)
	return b, nil
}

// decodeJSON decodes b strictly into dst: unknown fields and trailing data are 400,
// a value of the wrong type 422 naming the field.
func decodeJSON(b []byte, dst any) error {
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
				Fields: []domain.FieldError{{Field: badField(b, reflect.TypeOf(dst)), Message: "validation.format"}}}
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

// bind reads, decodes and validates a JSON body into dst.
func (s *Server) bind(c *gin.Context, dst any) error { return s.decodeChecked(c, dst, nil) }

// decodeChecked decodes the JSON body into dst (which may hold the current values, so
// fields left out keep them), validates its tags and runs check, reporting every field
// problem at once.
func (s *Server) decodeChecked(c *gin.Context, dst any, check func(p *domain.Problems)) error {
	b, err := readJSON(c)
	if err != nil {
		return err
	}
	if err := decodeJSON(b, dst); err != nil {
		return err
	}
	var p domain.Problems
	if err := s.check(dst, ""); err != nil {
		p = append(p, fieldsOf(err)...)
	}
	if check != nil {
		check(&p)
	}
	return p.Err()
}

// check validates v's tags; prefix is put before every field name ("founder.").
func (s *Server) check(v any, prefix string) error {
	err := s.validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var p domain.Problems
	for _, fe := range verrs {
		ns := fe.Namespace()
		if i := strings.Index(ns, "."); i >= 0 {
			ns = ns[i+1:]
		}
		p = append(p, domain.FieldError{Field: prefix + ns, Message: "validation." + fe.Tag(), Param: fe.Param()})
	}
	return p.Err()
}

// newValidator registers the JSON field names and Lotse's own tags:
// in=<catalogue list>, lang (ISO 639-1), country (ISO 3166-1 alpha-2).
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "form"} {
			name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
			if name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	lists := map[string][]string{
		"phases": domain.Catalogue.Phases, "statuses": domain.Catalogue.Statuses,
		"closing_reasons": domain.Catalogue.ClosingReasons, "topics": domain.Catalogue.Topics,
		"modes": domain.Catalogue.Modes, "referral_sources": domain.Catalogue.ReferralSources,
		"genders": domain.Catalogue.Genders, "german_levels": domain.Catalogue.GermanLevels,
		"education_levels": domain.Catalogue.EducationLevels, "employment": domain.Catalogue.Employment,
		"yes_no": domain.Catalogue.YesNo, "legal_forms": domain.Catalogue.LegalForms,
		"sectors": domain.Catalogue.Sectors, "roles": domain.Catalogue.Roles,
		"consent_purposes": domain.Catalogue.ConsentPurposes,
	}
	must(v.RegisterValidation("in", func(fl validator.FieldLevel) bool {
		list, ok := lists[fl.Param()]
		if !ok {
			panic("validator: unknown catalogue list " + fl.Param())
		}
		val := fl.Field().String()
		for _, x := range list {
			if x == val {
				return true
			}
		}
		return false
	}))
	must(v.RegisterValidation("lang", func(fl validator.FieldLevel) bool { return domain.ValidLanguage(fl.Field().String()) }))
	v.RegisterAlias("country", "iso3166_1_alpha2")
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// ifMatch reads the version a change is based on from If-Match: 428 when missing,
// 412 when it is no version of ours.
func ifMatch(c *gin.Context) (int, error) {
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

// setETag announces the version of the object in the answer.
func setETag(c *gin.Context, version int) { c.Header("ETag", `"`+strconv.Itoa(version)+`"`) }

// pathID parses the :id of the route; anything that is no UUID is simply not found.
func pathID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, domain.NotFound()
	}
	return id, nil
}

// idempotency returns the request's Idempotency-Key with its body, or nil without key.
func idempotency(c *gin.Context) (*store.Idempotency, error) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if len(key) > 200 {
		return nil, domain.Invalid("Idempotency-Key", "validation.max")
	}
	b, err := readJSON(c)
	if err != nil {
		return nil, err
	}
	return &store.Idempotency{Key: key, Route: c.Request.Method + " " + c.FullPath() + " " + c.Param("id"), Body: b}, nil
}

// fieldsOf returns the field errors of a validation error (none for other errors).
func fieldsOf(err error) []domain.FieldError {
	var e *domain.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields
	}
	return []domain.FieldError{{Field: "", Message: "error.malformed_json"}}
}

// prefixFields puts prefix before the field names of a decoding error of a nested object.
func prefixFields(err error, prefix string) error {
	return mapFields(err, func(f string) string { return prefix + f })
}

// mapFields returns err with its field names rewritten by name; other errors as they are.
func mapFields(err error, name func(string) string) error {
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
