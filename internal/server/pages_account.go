package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// accountView is the data of the account page.
type accountView struct {
	Me       domain.User
	Carriers map[string]string // carrier id → name, for the role list
	Tokens   []domain.Token
	NewToken *domain.Token // just created: its secret is shown this once
	Form     string
	Values   url.Values
	Problem  formProblem
	Today    domain.Date
}

// Errs are the field errors of form, if it is the form that failed.
func (v accountView) Errs(form string) map[string]string {
	if form == v.Form {
		return v.Problem.Fields
	}
	return nil
}

// Vals are the submitted values of form, if it is the form that failed. Passwords are
// never sent back.
func (v accountView) Vals(form string) url.Values {
	if form == v.Form {
		return v.Values
	}
	return nil
}

func (s *Server) pageAccount(c *gin.Context) {
	setLang(c)
	s.renderAccount(c, http.StatusOK, accountView{})
}

func (s *Server) renderAccount(c *gin.Context, status int, v accountView) {
	id, _ := currentUser(c)
	var err error
	if v.Me, err = s.store.User(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	if v.Tokens, err = s.store.Tokens(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	carriers, err := s.store.Carriers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Carriers = map[string]string{}
	for _, cr := range carriers {
		v.Carriers[cr.ID.String()] = cr.Name
	}
	v.Today = domain.Today()
	c.Set(ctxPagePath, "/account")
	s.render(c, status, "account", "account.title", v)
}

// accountProblem shows the account page again with a form's problem, or fails.
func (s *Server) accountProblem(c *gin.Context, form string, values url.Values, err error) {
	p, ok := s.formProblemOf(c, err)
	if !ok {
		s.fail(c, err)
		return
	}
	s.renderAccount(c, p.Status, accountView{Form: form, Values: values, Problem: p})
}

// pageChangePassword checks the current password, stores the new one and ends every
// other session of the user. The session of this browser is signed in again under the
// new session epoch, so the person who just changed the password stays signed in here.
// Wrong current passwords count as failed sign-ins, so they are throttled the same way.
func (s *Server) pageChangePassword(c *gin.Context) {
	ctx := c.Request.Context()
	form := postedForm(c)
	keep := url.Values{} // never echo passwords
	id, _ := currentUser(c)
	me, err := s.store.User(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	current, next := form.Get("current_password"), form.Get("new_password")
	var p domain.Problems
	if current == "" {
		p.Add("current_password", "validation.required")
	}
	if next == "" {
		p.Add("new_password", "validation.required")
	} else if next != form.Get("new_password_confirm") {
		p.Add("new_password_confirm", "error.password_mismatch")
	}
	if err := p.Err(); err != nil {
		s.accountProblem(c, "password", keep, err)
		return
	}
	if stop, err := s.throttled(c, me.Email); err != nil {
		s.fail(c, err)
		return
	} else if stop {
		s.accountProblem(c, "password", keep, domain.Invalid("current_password", "error.throttled"))
		return
	}
	cred, err := s.store.CredentialsByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ok, err := domain.CheckPassword(ctx, current, cred.PasswordHash); err != nil || !ok {
		if err := s.store.RecordLoginFailure(ctx, me.Email, c.ClientIP()); err != nil {
			s.fail(c, err)
			return
		}
		s.accountProblem(c, "password", keep, domain.Invalid("current_password", "error.password_wrong"))
		return
	}
	hash, err := domain.HashPassword(ctx, next)
	if err != nil {
		s.accountProblem(c, "password", keep, renameField(err, "password", "new_password"))
		return
	}
	if err := s.store.ChangePassword(ctx, actor(c), id, hash); err != nil {
		s.fail(c, err)
		return
	}
	cred, err = s.store.CredentialsByID(ctx, id)
	if err == nil {
		err = s.sessions.RenewToken(ctx)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.sessions.Put(ctx, sessEpoch, cred.SessionEpoch)
	s.redirectFlash(c, "/account", "flash.password_changed")
}

// renameField moves the field errors of err from one field name to another (a form
// field named other than the API's).
func renameField(err error, from, to string) error {
	return mapFields(err, func(f string) string {
		if f == from {
			return to
		}
		return f
	})
}

// pageCreateToken creates a personal API token and shows its secret once, on this
// answer only (it is not kept anywhere but as a hash).
func (s *Server) pageCreateToken(c *gin.Context) {
	form := postedForm(c)
	var p domain.Problems
	in := domain.TokenInput{Name: strings.TrimSpace(form.Get("name")), ExpiresOn: optDate(&p, form, "expires_on")}
	p = allProblems(p, s.check(&in, ""))
	in.Check(&p, domain.Today())
	if err := p.Err(); err != nil {
		s.accountProblem(c, "token", form, err)
		return
	}
	t, err := s.store.CreateToken(c.Request.Context(), actor(c), in, newTokenSecret(), nil)
	if err != nil {
		s.accountProblem(c, "token", form, err)
		return
	}
	s.renderAccount(c, http.StatusOK, accountView{NewToken: &t})
}

func (s *Server) pageRevokeToken(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = s.store.RevokeToken(c.Request.Context(), actor(c), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/account#tokens", "flash.token_revoked")
}
