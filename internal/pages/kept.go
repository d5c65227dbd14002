package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// keptForms are the page forms whose input is kept when they come after the session
// ended (httpx/kept.go): route pattern → the form's name on its page (edit forms add
// the entry's id). The page is the case page (/cases/:id) unless named.
var keptForms = map[string]struct{ page, form string }{
	"/cases/new":                    {page: "/cases/new"},
	"/cases/:id/phase":              {form: "phase"},
	"/cases/:id/close":              {form: "close"},
	"/cases/:id/business":           {form: "business"},
	"/cases/:id/advisors":           {form: "assign"},
	"/cases/:id/consultations":      {form: "consultation"},
	"/cases/:id/notes":              {form: "note"},
	"/cases/:id/milestones":         {form: "milestone"},
	"/cases/:id/follow-ups":         {form: "follow_up"},
	"/cases/:id/consents":           {form: "consent"},
	"/cases/:id/erase":              {form: "erase"},
	"/cases/:id/consultations/:cid": {form: "consultation:"},
	"/cases/:id/notes/:nid":         {form: "note:"},
	"/cases/:id/milestones/:mid":    {form: "milestone:"},
}

// SessionEnded answers a page form that came without a session: it keeps the input
// for the account that was signed in on this browser (when known, and when the form is
// one of keptForms) and sends the browser to the sign-in, which leads back to the
// form's page. Nothing is saved. Other requests without a session go to the sign-in
// and back to where they were headed.
func (s *Pages) SessionEnded(c *gin.Context) {
	c.Abort()
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		return
	}
	next := s.keepForm(c)
	c.Redirect(http.StatusSeeOther, "/login?ended=1&next="+url.QueryEscape(next))
}

// keepForm keeps the posted form if it can and answers the page to return to: the
// form's page, else the page the form was sent from (same origin), else "/".
func (s *Pages) keepForm(c *gin.Context) string {
	next := "/"
	if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Host == c.Request.Host {
		next = SafeNext(ref.RequestURI())
	}
	kf, ok := keptForms[c.FullPath()]
	if !ok {
		return next
	}
	k := httpx.KeptForm{Owner: s.KeptOwner(c), Page: kf.page, Form: kf.form}
	if k.Page == "" {
		id, err := uuid.Parse(c.Param("id"))
		if err != nil {
			return next
		}
		k.Page = "/cases/" + id.String()
	}
	for _, p := range c.Params { // an edit form: its name ends with the entry's id
		if p.Key != "id" && strings.HasSuffix(k.Form, ":") {
			k.Form += p.Value
		}
	}
	// No fragment: the page's notice takes the focus (autofocus), which an address
	// naming a place on the page would prevent. An edit form on an older page of the
	// timeline returns to that page, where its entry is.
	next = k.Page
	if before := c.Query("before"); before != "" {
		next += "?before=" + url.QueryEscape(before)
	}
	if err := httpx.ScreenForm(c.Request); err != nil || k.Owner == uuid.Nil {
		return next
	}
	k.Values = url.Values{}
	for key, v := range c.Request.PostForm {
		if !slices.Contains(formSecrets, key) {
			k.Values[key] = v
		}
	}
	s.Keep(c, k)
	return next
}

// keptProblem is how a page shows kept input: no field is wrong, a notice says that
// nothing was saved and the input waits to be sent again.
func (s *Pages) keptProblem(c *gin.Context) formProblem {
	return formProblem{Status: http.StatusOK, Fields: map[string]string{}, Notice: s.T(c, "forms2.kept_restored", nil)}
}
