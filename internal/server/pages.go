package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/web"
)

// pages holds every page template, each parsed once together with the layout.
type pages struct {
	byName map[string]*template.Template
}

// loadPages parses web/templates: layout.html plus one file per page.
func loadPages(s *Server) (*pages, error) {
	funcs := template.FuncMap{
		// Replaced per request by view(); these exist so parsing knows the names.
		"t":      func(id string, args ...any) string { return id },
		"lang":   func() string { return "de" },
		"date":   formatDate,
		"label":  func(kind, code string) string { return code },
		"fv":     formValue,
		"has":    formHas,
		"id":     func(u uuid.UUID) string { return u.String() },
		"join":   strings.Join,
		"time":   formatTime,
		"dict":   dict,
		"rank":   domain.PhaseRank,
		"isTrue": func(b *bool) bool { return b != nil && *b },
		"deref":  derefDate,
	}
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
	p := &pages{byName: map[string]*template.Template{}}
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
		p.byName[name] = t
	}
	return p, nil
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
	Data  any
}

// nav says which areas the signed-in user's roles reach; the layout shows only those.
type nav struct{ Cases, Intake, Agenda, Users, Carriers bool }

// ctxPagePath is the path a page re-rendered after a POST stands for (the language
// switch links there, not to the POST-only route).
const ctxPagePath = "lotse.page_path"

// sessFlash is the session key of the one-time message shown on the next page.
const sessFlash = "flash"

// render executes a page in the request's language. Rendering goes to a buffer first,
// so a template error becomes a clean 500 and never half a page.
func (s *Server) render(c *gin.Context, status int, name, titleID string, data any) {
	s.renderTitled(c, status, name, s.t(c, titleID, nil), data)
}

// renderTitled is render with a title that needs no translation (a person's name).
func (s *Server) renderTitled(c *gin.Context, status int, name, title string, data any) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.fail(c, fmt.Errorf("no template %q", name))
		return
	}
	l := lang(c)
	v := view{Title: title, Lang: l, Path: c.Request.URL.Path, Data: data}
	if p := c.GetString(ctxPagePath); p != "" {
		v.Path = p
	}
	if id, ok := currentUser(c); ok {
		if u, err := s.store.User(c.Request.Context(), id); err == nil {
			v.User = &u
		}
		v.Nav = nav{
			Cases:    !s.authz.Scope(id, "case:read").Empty(),
			Intake:   !s.authz.Scope(id, "case:create").Empty(),
			Agenda:   !s.authz.Scope(id, "case:read").Empty(),
			Users:    !s.authz.Scope(id, "user:manage").Empty(),
			Carriers: !s.authz.Scope(id, "carrier:manage").Empty(),
		}
		if msg := s.sessions.PopString(c.Request.Context(), sessFlash); msg != "" {
			v.Flash = s.t(c, msg, nil)
		}
		c.Header("Cache-Control", "no-store")
	}
	t, err := t.Clone()
	if err != nil {
		s.fail(c, err)
		return
	}
	t.Funcs(template.FuncMap{
		"t": func(id string, args ...any) string {
			data := map[string]any{}
			for i := 0; i+1 < len(args); i += 2 {
				data[fmt.Sprint(args[i])] = args[i+1]
			}
			return s.t(c, id, data)
		},
		"lang":  func() string { return l },
		"label": func(kind, code string) string { return s.t(c, kind+"."+code, nil) },
	})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.Error("rendering page", "page", name, "err", err, "request_id", requestID(c))
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("500"))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage shows an error in the layout, without internals.
func (s *Server) errorPage(c *gin.Context, status int, e *domain.Error) {
	c.Abort()
	if status == http.StatusUnauthorized {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	s.render(c, status, "error", "status."+string(e.Code), map[string]any{
		"Status": status, "Code": string(e.Code), "Message": e.Message,
	})
}

func (s *Server) static(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.FileFromFS(path.Join("static", c.Param("file")), http.FS(web.Static))
}

// setLang remembers a language chosen with ?lang= for a year.
func setLang(c *gin.Context) {
	if l := c.Query("lang"); l == "de" || l == "en" {
		c.SetSameSite(http.SameSiteLaxMode)
		c.SetCookie(langCookie, l, 365*24*3600, "/", "", false, true)
	}
}

func (s *Server) pageHome(c *gin.Context) {
	setLang(c)
	if id, ok := currentUser(c); ok {
		// Each role starts where its work is: cases, else administration, else the account.
		switch {
		case !s.authz.Scope(id, "case:read").Empty():
			c.Redirect(http.StatusSeeOther, "/cases")
		case !s.authz.Scope(id, "user:manage").Empty():
			c.Redirect(http.StatusSeeOther, "/admin/users")
		default:
			c.Redirect(http.StatusSeeOther, "/account")
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) pageLogin(c *gin.Context) {
	setLang(c)
	s.render(c, http.StatusOK, "login", "login.title", map[string]any{"Next": safeNext(c.Query("next"))})
}

// safeNext accepts only local paths as the page to return to after sign-in; without one,
// "/" sends each role to where its work is.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) pageLoginSubmit(c *gin.Context) {
	email, password := c.PostForm("email"), c.PostForm("password")
	next := safeNext(c.PostForm("next"))
	if _, err := s.signIn(c, email, password); err != nil {
		e := appError(c, err)
		status := statusOf[e.Code]
		if e.Code != domain.ErrUnauthorized && e.Code != domain.ErrThrottled {
			s.fail(c, err)
			return
		}
		s.render(c, status, "login", "login.title", map[string]any{"Next": next, "Email": email, "Error": e.Message})
		return
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) pageLogout(c *gin.Context) {
	if err := s.signOut(c); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

// pageCases is "Meine Fälle": the cases in the caller's scope with filters and search.
func (s *Server) pageCases(c *gin.Context) {
	setLang(c)
	f, err := s.caseFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	scope := scopeOf(c)
	items, next, err := s.store.Cases(c.Request.Context(), scope, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var advisors []domain.AdvisorLoad
	for _, carrier := range scope.Carriers { // coordinators filter by advisor
		as, err := s.store.Advisors(c.Request.Context(), carrier)
		if err != nil {
			s.fail(c, err)
			return
		}
		advisors = append(advisors, as...)
	}
	names := map[uuid.UUID]string{}
	for _, a := range advisors {
		names[a.ID] = a.Name
	}
	s.render(c, http.StatusOK, "cases", "cases.title", map[string]any{
		"Items": items, "Next": next, "Filter": f, "Advisors": advisors, "AdvisorNames": names,
		"Today": domain.Today(), "Catalog": domain.Catalogue,
	})
}
