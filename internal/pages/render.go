package pages

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/web"
)

// Pages holds the page handlers and every page template, each parsed once at start
// together with the layout, once per language: the template functions that translate
// are bound to their language, so a request executes a parsed template as it is (no
// per-request Clone, which copied and re-escaped the whole template tree each time).
type Pages struct {
	*httpx.Env
	byLang map[string]map[string]*template.Template // language → page → template
}

// pageLanguages are the languages pages are parsed for (httpx.Lang answers one of them).
var pageLanguages = []string{"de", "en"}

// New parses web/templates (layout.html plus one file per page) for each language and
// returns the page handlers on env. It fails on a broken template.
func New(env *httpx.Env) (*Pages, error) {
	p := &Pages{Env: env, byLang: map[string]map[string]*template.Template{}}
	for _, l := range pageLanguages {
		pages, err := parsePages(templateFuncs(newTranslator(env.I18n, l)))
		if err != nil {
			return nil, err
		}
		p.byLang[l] = pages
	}
	return p, nil
}

// translator translates message IDs into one language. Messages without arguments,
// most of a page, are looked up once and kept: a page shows hundreds of them.
type translator struct {
	lang  string
	loc   *i18n.Localizer
	plain sync.Map // message ID → text
}

func newTranslator(b *i18n.Bundle, lang string) *translator {
	return &translator{lang: lang, loc: i18n.NewLocalizer(b, lang, "de")}
}

// T translates id with data; an unknown ID shows as itself (as httpx.Env.T).
func (tr *translator) T(id string, data map[string]any) string {
	if data == nil {
		if v, ok := tr.plain.Load(id); ok {
			return v.(string)
		}
	}
	msg, err := tr.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		msg = id
	}
	if data == nil {
		tr.plain.Store(id, msg)
	}
	return msg
}

// templateFuncs are the functions page templates call, those that translate bound to tr.
func templateFuncs(tr *translator) template.FuncMap {
	return template.FuncMap{
		"t": func(id string, args ...any) string {
			if len(args) < 2 {
				return tr.T(id, nil)
			}
			data := make(map[string]any, len(args)/2)
			for i := 0; i+1 < len(args); i += 2 {
				data[fmt.Sprint(args[i])] = args[i+1]
			}
			return tr.T(id, data)
		},
		"lang":  func() string { return tr.lang },
		"date":  formatDate,
		"label": func(kind, code string) string { return tr.T(kind+"."+code, nil) },
		"who": func(name string) string {
			return founderName(name, func() string { return tr.T("erasure.pseudonymised_name", nil) })
		},
		"fv":   formValue,
		"has":  formHas,
		"id":   func(u uuid.UUID) string { return u.String() },
		"join": strings.Join,
		"time": formatTime,
		"dict": dict,
		"list": func(v ...string) []string { return v },
		"add":  func(a, b int) int { return a + b },
		"derefID": func(u *uuid.UUID) uuid.UUID {
			if u == nil {
				return uuid.Nil
			}
			return *u
		},
		"rank":   domain.PhaseRank,
		"isTrue": func(b *bool) bool { return b != nil && *b },
		"deref":  derefDate,
		// a fresh one-time token for each creating form (partial "once"; once.go)
		"formToken": newFormToken,
		// languages and countries by name in the page's language (names.go)
		"language":     func(code string) string { return nameOr(languageName(code, uiTag(tr.lang)), code) },
		"languages":    func(codes []string) string { return languageNames(codes, tr.lang) },
		"country":      func(code string) string { return nameOr(countryName(code, uiTag(tr.lang)), code) },
		"countries":    func(codes []string) string { return countryNames(codes, tr.lang) },
		"options":      func(kind, selected string) template.HTML { return choiceOptions(kind, tr.lang, selected) },
		"codeSlots":    codeSlots,
		"unknownFirst": unknownFirst,
	}
}

// parsePages parses each page of web/templates with the layout and the partials.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	layout, err := fs.ReadFile(web.Templates, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	// partials.html holds the form building blocks every page may use.
	partials, err := fs.ReadFile(web.Templates, "templates/partials.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		body, err := fs.ReadFile(web.Templates, f)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = t.Parse(string(partials))
		}
		if err == nil {
			_, err = t.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		out[name] = t
	}
	return out, nil
}

// dict builds the argument map of a partial: {{template "field" dict "Name" "x" …}}.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// derefDate is the day of an optional date (the zero day for none).
func derefDate(d *domain.Date) domain.Date {
	if d == nil {
		return domain.Date{}
	}
	return *d
}

func formatDate(v any) string {
	switch d := v.(type) {
	case domain.Date:
		if d.IsZero() {
			return ""
		}
		return d.Format("02.01.2006")
	case *domain.Date:
		if d == nil || d.IsZero() {
			return ""
		}
		return d.Format("02.01.2006")
	}
	return ""
}

// view is what every page template gets: the page's data plus who is signed in, what the
// navigation may offer them, and a message left by the previous request (flash).
type view struct {
	Title string
	User  *domain.User
	Nav   nav
	Lang  string
	Path  string
	Flash string
	// Undo, when set, is a form that takes back what the previous request did.
	Undo *undo
	// Bare: no navigation and no account tools (a page to print).
	Bare bool
	// Idle is the idle timeout of a signed-in session in seconds: the script warns
	// before it runs out (web/static/lotse.js).
	Idle int
	Data any
}

// undo is the form of an undo button: where it posts, the version it expects and the
// page to return to.
type undo struct {
	Action  string
	Version string
	Back    string
}

// nav says which areas the signed-in user's roles reach; the layout shows only those.
type nav struct{ Cases, Intake, Agenda, TeamAgenda, Caseload, Stats, Audit, Users, Carriers bool }

// ctxPagePath is the path a page re-rendered after a POST stands for (the language
// switch links there, not to the POST-only route).
const ctxPagePath = "lotse.page_path"

// ctxBare marks a page shown without navigation and account tools (the printable case
// summary).
const ctxBare = "lotse.bare"

// render executes a page in the request's language. Rendering goes to a buffer first,
// so a template error becomes a clean 500 and never half a page.
func (s *Pages) render(c *gin.Context, status int, name, titleID string, data any) error {
	return s.renderTitled(c, status, name, s.T(c, titleID, nil), data)
}

// renderTitled is render with a title that needs no translation (a person's name).
func (s *Pages) renderTitled(c *gin.Context, status int, name, title string, data any) error {
	l := httpx.Lang(c)
	t, ok := s.byLang[l][name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	v := view{Title: title, Lang: l, Path: c.Request.URL.Path, Data: data}
	if p := c.GetString(ctxPagePath); p != "" {
		v.Path = p
	}
	v.Bare = c.GetBool(ctxBare)
	if id, ok := httpx.CurrentUser(c); ok {
		if u, err := s.Store.User(c.Request.Context(), id); err == nil {
			v.User = &u
		}
		v.Nav = nav{
			Cases:  s.May(c, domain.ActCaseRead),
			Intake: s.May(c, domain.ActCaseCreate),
			Agenda: s.May(c, domain.ActCaseRead),
			// coordinators review their team; advisors see their own figures
			TeamAgenda: s.May(c, domain.ActAgendaTeam),
			Caseload:   s.May(c, domain.ActCaseloadRead),
			Stats:      s.May(c, domain.ActStatsRead),
			Audit:      s.May(c, domain.ActAuditList),
			Users:      s.May(c, domain.ActUserManage),
			Carriers:   s.May(c, domain.ActCarrierManage),
		}
		if v.User != nil && v.User.MustChangePassword { // nothing but the change is reachable
			v.Nav = nav{}
		}
		if !v.Bare { // a page to print leaves the message and the undo for the next page
			if msg := s.Sessions.PopString(c.Request.Context(), httpx.SessFlash); msg != "" {
				v.Flash = s.T(c, msg, nil)
			}
			if u := strings.SplitN(s.Sessions.PopString(c.Request.Context(), httpx.SessUndo), "|", 3); len(u) == 3 {
				v.Undo = &undo{Action: u[0], Version: u[1], Back: u[2]}
			}
		}
		c.Header("Cache-Control", "no-store")
		v.Idle = int(s.Sessions.IdleTimeout.Seconds())
		s.NameKeptOwner(c, id) // whose input a form sent after the session ended is (kept.go)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); pageBuffers.Put(buf) }()
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		slog.Error("rendering page", "page", name, "err", err, "request_id", httpx.RequestID(c))
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("500"))
		return nil
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	return nil
}

// pageBuffers keeps the buffers pages render into: a case page is tens of kilobytes,
// and growing a fresh buffer to that size on each request was a good part of its
// allocations. (c.Data has written the bytes before the buffer goes back.)
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ErrorPage shows an error in the layout, without internals; 401 goes to sign-in.
func (s *Pages) ErrorPage(c *gin.Context, e *domain.Error) {
	c.Abort()
	status := httpx.StatusOf[e.Code]
	if status == http.StatusUnauthorized {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if err := s.render(c, status, "error", "status."+string(e.Code), map[string]any{
		"Status": status, "Code": string(e.Code), "Message": e.Message,
	}); err != nil {
		c.Data(status, "text/plain; charset=utf-8", []byte(http.StatusText(status)))
	}
}

// Static serves /static/ files (the style sheet and the small script).
func (s *Pages) Static(c *gin.Context) error {
	c.Header("Cache-Control", "public, max-age=3600")
	c.FileFromFS(path.Join("static", c.Param("file")), http.FS(web.Static))
	return nil
}

// Home is GET /: each role starts where its work is — cases, else statistics, else
// administration, else the account; without a session, the sign-in.
func (s *Pages) Home(c *gin.Context) error {
	httpx.SetLang(c)
	if _, ok := httpx.CurrentUser(c); !ok {
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	}
	switch {
	case s.May(c, domain.ActCaseRead):
		c.Redirect(http.StatusSeeOther, "/cases")
	case s.May(c, domain.ActStatsRead): // programme managers
		c.Redirect(http.StatusSeeOther, "/stats")
	case s.May(c, domain.ActUserManage):
		c.Redirect(http.StatusSeeOther, "/admin/users")
	default:
		c.Redirect(http.StatusSeeOther, "/account")
	}
	return nil
}

// Login is GET /login.
func (s *Pages) Login(c *gin.Context) error {
	httpx.SetLang(c)
	data := map[string]any{"Next": SafeNext(c.Query("next"))}
	// after a form came without a session (kept.go): say whether its input waits
	switch {
	case s.HasKept(c):
		data["Ended"] = s.T(c, "forms2.ended_kept", nil)
	case c.Query("ended") == "1":
		data["Ended"] = s.T(c, "forms2.ended_not_kept", nil)
	}
	return s.render(c, http.StatusOK, "login", "login.title", data)
}

// SafeNext accepts only absolute paths of this site as the page to return to after
// sign-in: one leading "/" (not "//", which browsers read as another host), no
// backslash (browsers read "/\" as "//"), no control character (browsers drop tabs and
// line breaks from URLs, so "/\t/evil" would become "//evil"), valid UTF-8. Anything
// else, and no next at all, gives "/", which sends each role to where its work is.
func SafeNext(next string) string {
	if len(next) == 0 || next[0] != '/' || (len(next) > 1 && next[1] == '/') || !utf8.ValidString(next) {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b < 0x20 || b == 0x7f || b == '\\' {
			return "/"
		}
	}
	return next
}

// LoginSubmit is POST /login: wrong or throttled sign-ins show the form again.
func (s *Pages) LoginSubmit(c *gin.Context) error {
	in := domain.SignInInput{Email: c.PostForm("email"), Password: c.PostForm("password")}
	next := SafeNext(c.PostForm("next"))
	cred, err := s.Store.SignIn(c.Request.Context(), httpx.Actor(c), in, s.Limits)
	if err == nil {
		err = s.StartSession(c, cred)
	}
	if codeNeeded(err) { // the password was right; the code comes in a second step (totp.go)
		return s.startSecondStep(c, cred, next)
	}
	if err != nil {
		e := httpx.AppError(c, err)
		switch e.Code {
		case domain.ErrUnauthorized, domain.ErrThrottled, domain.ErrInvalid:
		default:
			return err
		}
		if e.Code == domain.ErrInvalid {
			e = domain.Errorf(domain.ErrUnauthorized, "error.login_failed")
		}
		return s.render(c, httpx.StatusOf[e.Code], "login", "login.title", map[string]any{"Next": next, "Email": in.Email, "Error": s.signInError(c, e)})
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

// Logout is POST /logout.
func (s *Pages) Logout(c *gin.Context) error {
	if err := s.SignOut(c); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}

// Cases is GET /cases, "Meine Fälle": the cases in the caller's scope with filters
// (phase, status, stalled, overdue) and search; coordinators see every case of their
// carriers and filter by advisor — also by people who still lead open cases but are
// deactivated or no advisors any more, so those cases can be found and reassigned.
func (s *Pages) Cases(c *gin.Context) error {
	httpx.SetLang(c)
	f, err := httpx.CaseFilter(c)
	if err != nil {
		return err
	}
	ctx, actor := c.Request.Context(), httpx.Actor(c)
	items, next, err := s.Store.Cases(ctx, actor, f)
	if err != nil {
		return err
	}
	carriers := s.Store.Scope(actor, domain.ActCaseRead).Carriers
	var advisors []domain.AdvisorOption
	inactive := map[uuid.UUID]bool{}
	for _, carrier := range carriers {
		as, err := s.Store.CaseAdvisors(ctx, actor, carrier)
		if err != nil {
			return err
		}
		for _, a := range as {
			// someone advising in two carriers is one option, active if active anywhere
			if i := slices.IndexFunc(advisors, func(o domain.AdvisorOption) bool { return o.ID == a.ID }); i >= 0 {
				advisors[i].Active = advisors[i].Active || a.Active
				continue
			}
			advisors = append(advisors, a)
		}
	}
	slices.SortStableFunc(advisors, func(a, b domain.AdvisorOption) int { return strings.Compare(a.Name, b.Name) })
	for _, a := range advisors {
		if !a.Active {
			inactive[a.ID] = true
		}
	}
	var carrierNames []string
	if len(carriers) > 0 {
		all, err := s.Store.Carriers(ctx)
		if err != nil {
			return err
		}
		for _, cr := range all {
			if slices.Contains(carriers, cr.ID) {
				carrierNames = append(carrierNames, cr.Name)
			}
		}
	}
	// The lead column names the leads of this page, whoever they are now.
	leads := make([]uuid.UUID, 0, len(items))
	for _, it := range items {
		leads = append(leads, it.LeadAdvisorID)
	}
	names, err := s.Store.UserNames(ctx, leads)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "cases", "cases.title", map[string]any{
		"Items": items, "Next": next, "Filter": f, "Advisors": advisors, "AdvisorNames": names,
		"Inactive": inactive, "CarrierWide": len(carriers) > 0, "Carriers": strings.Join(carrierNames, ", "),
		"ManyCarriers": len(carrierNames) > 1, "StalledDays": s.Store.StalledDays(),
		"Today": s.Store.Today(), "Catalog": domain.Catalogue,
	})
}
