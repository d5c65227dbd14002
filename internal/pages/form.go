package pages

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// The form flow of every page: POST → parse and validate with the same rules as the API
// → either redirect with a flash message, or render the page again with the submitted
// values and an error next to each field. Forms post url-encoded fields named like the
// API's field paths ("founder.given_name"), so validation errors map onto them directly.

// formValue is the submitted value of a field (template function fv).
func formValue(form url.Values, key string) string {
	if form == nil {
		return ""
	}
	return form.Get(key)
}

// formHas reports whether a multi-valued field holds value (checkboxes, multi-selects).
func formHas(form url.Values, key, value string) bool {
	return form != nil && slices.Contains(form[key], value)
}

// formatTime shows a timestamp as German local time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Berlin).Format("02.01.2006 15:04")
}

// redirectFlash answers a successful form post: message for the next page, then 303.
func (s *Pages) redirectFlash(c *gin.Context, to, msgID string) error {
	s.Flash(c, msgID)
	c.Redirect(http.StatusSeeOther, to)
	return nil
}

// inputProblems reports a form's own problems (fields that are no number, date or id)
// together with the input's validation, so the person sees every problem at once;
// without form problems the use case validates alone.
func (s *Pages) inputProblems(p domain.Problems, in any) error {
	if len(p) == 0 {
		return nil
	}
	if err := domain.Validate(in, s.Store.Today()); err != nil {
		var e *domain.Error
		if errors.As(err, &e) {
			p = append(p, e.Fields...)
		}
	}
	return p.Err()
}

var indexSuffix = regexp.MustCompile(`\[\d+\]`)

// formProblem is a form error: the field messages, translated, plus one message for the
// whole form (for errors that name no field, such as a stale version).
type formProblem struct {
	Status int
	Alert  string
	Fields map[string]string
	// Notice is a message that is no error: the form holds input kept after the
	// session ended (kept.go). NoticeLink is the form's first field.
	Notice     string
	NoticeLink string
	// Links is the error summary: each wrong field with a link to it.
	Links []fieldLink
}

// formProblemOf turns an error the person can fix (invalid input, stale version, a
// conflict such as a closed case) into a formProblem; ok is false for every other error,
// which the caller answers with s.fail.
func (s *Pages) formProblemOf(c *gin.Context, err error) (formProblem, bool) {
	err = formTokenProblem(err)
	var e *domain.Error
	if !errors.As(err, &e) {
		return formProblem{}, false
	}
	p := formProblem{Status: httpx.StatusOf[e.Code], Fields: map[string]string{}}
	switch e.Code {
	case domain.ErrInvalid, domain.ErrConflict:
		p.Alert = s.T(c, e.Message, nil)
	case domain.ErrPreconditionFailed:
		p.Alert = s.T(c, "page.stale", nil)
	default:
		return formProblem{}, false
	}
	for _, f := range e.Fields {
		// languages[2] → languages: the error shows at the one input of the list.
		field := indexSuffix.ReplaceAllString(f.Field, "")
		if _, seen := p.Fields[field]; !seen {
			p.Fields[field] = s.T(c, f.Message, map[string]any{"Param": f.Param})
		}
	}
	return p, true
}

// postedForm returns the parsed form of a POST (url-encoded or multipart).
func postedForm(c *gin.Context) url.Values {
	_ = c.Request.ParseForm()
	return c.Request.PostForm
}

// optString is nil for an empty (trimmed) field.
func optString(form url.Values, key string) *string {
	v := strings.TrimSpace(form.Get(key))
	if v == "" {
		return nil
	}
	return &v
}

// optInt parses an optional whole number; a non-number is reported on the field.
func optInt(p *domain.Problems, form url.Values, key string) *int {
	v := strings.TrimSpace(form.Get(key))
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.Add(key, "validation.type")
		return nil
	}
	return &n
}

// optDate parses an optional date field (YYYY-MM-DD, as <input type=date> sends it).
func optDate(p *domain.Problems, form url.Values, key string) *domain.Date {
	v := strings.TrimSpace(form.Get(key))
	if v == "" {
		return nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		p.Add(key, domain.DateProblem(err))
		return nil
	}
	return &d
}

// businessForm reads the business fields of the intake and case forms.
func businessForm(p *domain.Problems, form url.Values) domain.Business {
	return domain.Business{
		Idea:      strings.TrimSpace(form.Get("business.idea")),
		Sector:    optString(form, "business.sector"),
		LegalForm: optString(form, "business.legal_form"),
		FoundedOn: optDate(p, form, "business.founded_on"),
		Employees: optInt(p, form, "business.employees"),
	}
}

// optUUID parses an optional id field (a select's value).
func optUUID(p *domain.Problems, form url.Values, key string) *uuid.UUID {
	v := strings.TrimSpace(form.Get(key))
	if v == "" {
		return nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		p.Add(key, "validation.format")
		return nil
	}
	return &id
}

// codeList reads a list of codes from several selects of one name, each value also
// read as a comma- or space-separated list ("ar, de"), and normalises
// the case the codes are written in (languages lower, countries upper).
func codeList(form url.Values, key string, upper bool) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(strings.Join(form[key], ","), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if upper {
			f = strings.ToUpper(f)
		} else {
			f = strings.ToLower(f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// formVersion reads the hidden version field of a versioned form; anything that is no
// version is the same as a stale one.
func formVersion(form url.Values) (int, error) {
	v, err := strconv.Atoi(form.Get("version"))
	if err != nil || v < 1 {
		return 0, domain.Errorf(domain.ErrPreconditionFailed, "error.stale_version")
	}
	return v, nil
}

// The error summary (WCAG 3.3.1, as BITV asks): a form that comes back with errors
// lists each wrong field at the top of the page, each entry a link to its field
// (href="#id": following it focuses the field), and the summary takes the focus when
// the page loads (autofocus, no script needed). Pages name their fields in the order of
// the form with formField; a field the table does not know still gets its entry, linked
// to the form's first field.

// formField is a field of a form: its name (the API's field path), the id of its input
// and the message id of its label.
type formField struct{ Name, ID, Label string }

// fieldLink is one entry of an error summary.
type fieldLink struct{ ID, Label, Message string }

// withLinks fills p.Links from p.Fields in the order of fields.
func (s *Pages) withLinks(c *gin.Context, p formProblem, fields []formField) formProblem {
	if len(p.Fields) == 0 || len(fields) == 0 {
		return p
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if msg, ok := p.Fields[f.Name]; ok && !seen[f.Name] {
			seen[f.Name] = true
			p.Links = append(p.Links, fieldLink{ID: f.ID, Label: s.T(c, f.Label, nil), Message: msg})
		}
	}
	names := slices.Sorted(maps.Keys(p.Fields))
	for _, name := range names {
		if !seen[name] {
			p.Links = append(p.Links, fieldLink{ID: fields[0].ID, Message: p.Fields[name]})
		}
	}
	return p
}

// notStated are the codes that say "no answer": a select offers them first, so the
// answer a founder need not give is one key press away (template function unknownFirst).
var notStated = []string{"not_stated", "unspecified", "unknown"}

// unknownFirst is codes with the "no answer" codes moved to the front, in their order.
func unknownFirst(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if slices.Contains(notStated, c) {
			out = append(out, c)
		}
	}
	for _, c := range codes {
		if !slices.Contains(notStated, c) {
			out = append(out, c)
		}
	}
	return out
}
