package pages

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// accountView is the data of the account page.
type accountView struct {
	Me       domain.User
	Carriers map[string]string // carrier id → name, for the role list
	Tokens   []domain.Token
	NewToken *domain.Token // just created: its secret is shown this once
	Sessions []domain.Session
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

// Account is GET /account: roles, password change, personal API tokens.
func (s *Pages) Account(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderAccount(c, http.StatusOK, accountView{})
}

func (s *Pages) renderAccount(c *gin.Context, status int, v accountView) error {
	id, _ := httpx.CurrentUser(c)
	var err error
	if v.Me, err = s.Store.User(c.Request.Context(), id); err != nil {
		return err
	}
	if v.Tokens, err = s.Store.Tokens(c.Request.Context(), id); err != nil {
		return err
	}
	if v.Sessions, err = s.Store.Sessions(c.Request.Context(), httpx.Actor(c), s.SessionToken(c)); err != nil {
		return err
	}
	carriers, err := s.Store.Carriers(c.Request.Context())
	if err != nil {
		return err
	}
	v.Carriers = map[string]string{}
	for _, cr := range carriers {
		v.Carriers[cr.ID.String()] = cr.Name
	}
	v.Today = s.Store.Today()
	c.Set(ctxPagePath, "/account")
	return s.render(c, status, "account", "account.title", v)
}

// accountProblem shows the account page again with a form's problem, or fails.
func (s *Pages) accountProblem(c *gin.Context, form string, values url.Values, err error) error {
	p, ok := s.formProblemOf(c, err)
	if !ok {
		return err
	}
	return s.renderAccount(c, p.Status, accountView{Form: form, Values: values, Problem: p})
}

// PasswordChangePath is the page where a person whose password an administrator set
// chooses their own; until then every other page sends them here.
const PasswordChangePath = "/account/password"

// PasswordChange is GET /account/password: the change of a one-time password, alone on
// its page (nothing else is reachable yet); for everyone else the form on the account
// page.
func (s *Pages) PasswordChange(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderPasswordChange(c, http.StatusOK, formProblem{})
}

// renderPasswordChange shows the page of the one-time password's change, or the
// account page for a person who has chosen their own password.
func (s *Pages) renderPasswordChange(c *gin.Context, status int, p formProblem) error {
	id, _ := httpx.CurrentUser(c)
	me, err := s.Store.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if !me.MustChangePassword {
		if p.Status == 0 {
			c.Redirect(http.StatusSeeOther, "/account#password")
			return nil
		}
		return s.renderAccount(c, p.Status, accountView{Form: "password", Values: url.Values{}, Problem: p})
	}
	c.Set(ctxPagePath, PasswordChangePath)
	return s.render(c, status, "password_change", "admin2.change_title", accountView{Me: me, Form: "password", Problem: p})
}

// ChangePassword is POST /account/password: the use case checks the current password
// (throttled like sign-in), stores the new one, ends every session of the user and
// revokes their API tokens; this browser's session is signed in again under the new
// session epoch, so the person who just changed the password stays signed in here. A
// person who replaced a one-time password goes on to where their work is.
func (s *Pages) ChangePassword(c *gin.Context) error {
	ctx := c.Request.Context()
	form := postedForm(c)
	confirm := form.Get("new_password_confirm")
	in := domain.PasswordChange{Current: form.Get("current_password"), New: form.Get("new_password"), Confirm: &confirm}
	epoch, err := s.Store.ChangePassword(ctx, httpx.Actor(c), in, s.Limits)
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderPasswordChange(c, p.Status, p) // never echo passwords
	}
	if err := s.RenewSession(c, epoch); err != nil {
		return err
	}
	if form.Get("one_time") == "true" {
		return s.redirectFlash(c, "/", "flash.password_chosen")
	}
	return s.redirectFlash(c, "/account", "flash.password_changed")
}

// CreateToken is POST /account/tokens with the current password: a personal API token
// whose secret is shown once, on this answer only (it is kept nowhere but as a hash).
func (s *Pages) CreateToken(c *gin.Context) error {
	form := postedForm(c)
	var p domain.Problems
	in := domain.TokenInput{Name: form.Get("name"), ExpiresOn: optDate(&p, form, "expires_on"), Password: form.Get("password")}
	form.Del("password") // never shown again
	if err := s.inputProblems(p, &in); err != nil {
		return s.accountProblem(c, "token", form, err)
	}
	idem, err := formOnce(c, form)
	if err != nil {
		return s.accountProblem(c, "token", form, err)
	}
	t, err := s.Store.CreateToken(c.Request.Context(), httpx.Actor(c), in, httpx.NewTokenSecret(), idem, s.Limits)
	if tokenSentAgain(err) {
		return s.redirectFlash(c, "/account#tokens", "flash.token_already_created")
	}
	if err != nil {
		return s.accountProblem(c, "token", form, err)
	}
	return s.renderAccount(c, http.StatusOK, accountView{NewToken: &t})
}

// RevokeToken is POST /account/tokens/{id}/revoke.
func (s *Pages) RevokeToken(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if err := s.Store.RevokeToken(c.Request.Context(), httpx.Actor(c), id); err != nil {
		return err
	}
	return s.redirectFlash(c, "/account#tokens", "flash.token_revoked")
}
