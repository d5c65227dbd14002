package pages

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// The second factor on pages: the second step of the sign-in (/login/second-factor) and
// the page where a person sets it up, renews the recovery codes or switches it off
// (/account/second-factor). Administrators without one are sent to that page by the
// route guard until they have set it up.

// SecondFactorPath is the page of the second factor.
const SecondFactorPath = "/account/second-factor"

// codeNeeded reports whether a sign-in stopped after a right password because the
// account needs a code (store.SignIn).
func codeNeeded(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Code == domain.ErrUnauthorized && e.Message == "error.otp_required"
}

// startSecondStep remembers the right password in the (server-side) session and asks
// for the code; the browser is not signed in until the code is right.
func (s *Pages) startSecondStep(c *gin.Context, cred store.Credentials, next string) error {
	if err := s.StartSecondStep(c, cred, next); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/login/second-factor")
	return nil
}

// signInError is the sign-in form's message for e: a throttled sign-in says for how long.
func (s *Pages) signInError(c *gin.Context, e *domain.Error) string {
	if e.Code != domain.ErrThrottled || e.RetryAfter <= 0 {
		return s.T(c, e.Message, nil)
	}
	minutes := int(math.Ceil(e.RetryAfter.Minutes()))
	if minutes == 1 {
		return s.T(c, "error.throttled_one_minute", nil)
	}
	return s.T(c, "error.throttled_minutes", map[string]any{"Minutes": minutes})
}

// LoginSecondFactor is GET /login/second-factor: the code of a sign-in whose password
// was right; without one pending, the sign-in.
func (s *Pages) LoginSecondFactor(c *gin.Context) error {
	httpx.SetLang(c)
	if _, _, _, ok := s.SecondStep(c); !ok {
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	}
	return s.render(c, http.StatusOK, "totp_login", "signin.code_title", map[string]any{})
}

// LoginSecondFactorSubmit is POST /login/second-factor: a right code (or recovery code)
// signs the browser in (a fresh session token) and goes where the sign-in was headed; a
// wrong one shows the form again, counted like a wrong password.
func (s *Pages) LoginSecondFactorSubmit(c *gin.Context) error {
	user, epoch, next, ok := s.SecondStep(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	}
	cred, err := s.Store.SignInSecondFactor(c.Request.Context(), httpx.Actor(c), user, epoch, c.PostForm("code"), s.Limits)
	if err == nil {
		s.EndSecondStep(c)
		if err := s.StartSession(c, cred); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, SafeNext(next))
		return nil
	}
	e := httpx.AppError(c, err)
	switch {
	case e.Code == domain.ErrUnauthorized && e.Message == "error.login_failed":
		// Deactivated or password changed meanwhile: start again.
		s.EndSecondStep(c)
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	case e.Code == domain.ErrInvalid && len(e.Fields) > 0: // no code, or far too long
		e = &domain.Error{Code: domain.ErrInvalid, Message: e.Fields[0].Message}
	case e.Code != domain.ErrUnauthorized && e.Code != domain.ErrThrottled:
		return err
	}
	return s.render(c, httpx.StatusOf[e.Code], "totp_login", "signin.code_title", map[string]any{"Error": s.signInError(c, e)})
}

// secondFactorView is the data of the second factor's page.
type secondFactorView struct {
	State domain.SecondFactor
	// Missing: the account's roles need a second factor it does not have yet.
	Missing bool
	// Enrolment, while one is shown in this session, with its QR code.
	Enrolment *domain.Enrolment
	QRCode    template.URL
	// Codes are new recovery codes, shown on this answer only.
	Codes   []string
	Form    string
	Problem formProblem
}

// Errs are the field errors of form, if it is the form that failed.
func (v secondFactorView) Errs(form string) map[string]string {
	if form == v.Form {
		return v.Problem.Fields
	}
	return nil
}

// SecondFactor is GET /account/second-factor.
func (s *Pages) SecondFactor(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderSecondFactor(c, http.StatusOK, secondFactorView{})
}

func (s *Pages) renderSecondFactor(c *gin.Context, status int, v secondFactorView) error {
	ctx, actor := c.Request.Context(), httpx.Actor(c)
	var err error
	if v.State, err = s.Store.SecondFactor(ctx, actor); err != nil {
		return err
	}
	v.Missing = v.State.Required && !v.State.Enabled
	if secret := s.KeptEnrolment(c); secret != "" && !v.State.Enabled {
		en, err := s.Store.Enrolment(ctx, actor, secret)
		if err != nil {
			return err
		}
		qr, err := httpx.QRCode(en)
		if err != nil {
			return err
		}
		// A PNG the server just drew: html/template lets only typed data: URLs through.
		v.Enrolment, v.QRCode = &en, template.URL(qr) //nolint:gosec // made here, not taken from input
	}
	c.Set(ctxPagePath, SecondFactorPath)
	return s.render(c, status, "totp", "signin.page_title", v)
}

// secondFactorProblem shows the page again with a form's problem, or fails.
func (s *Pages) secondFactorProblem(c *gin.Context, form string, err error) error {
	p, ok := s.formProblemOf(c, err)
	if !ok {
		return err
	}
	return s.renderSecondFactor(c, p.Status, secondFactorView{Form: form, Problem: p})
}

// secondFactorInput is the re-authentication of a form (never echoed back).
func secondFactorInput(form url.Values) domain.SecondFactorInput {
	return domain.SecondFactorInput{Password: form.Get("current_password"), Code: form.Get("code")}
}

// BeginSecondFactor is POST /account/second-factor/enrolment: a new secret for this
// session, shown by the page with its QR code until it is confirmed.
func (s *Pages) BeginSecondFactor(c *gin.Context) error {
	en, err := s.Store.BeginSecondFactor(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return s.secondFactorProblem(c, "begin", err)
	}
	s.KeepEnrolment(c, en.Secret)
	c.Redirect(http.StatusSeeOther, SecondFactorPath+"#enrol")
	return nil
}

// EnableSecondFactor is POST /account/second-factor: the current password and a code
// of the new secret switch it on; the recovery codes are shown on this answer only.
func (s *Pages) EnableSecondFactor(c *gin.Context) error {
	codes, err := s.Store.EnableSecondFactor(c.Request.Context(), httpx.Actor(c), s.KeptEnrolment(c), secondFactorInput(postedForm(c)), s.Limits)
	if err != nil {
		return s.secondFactorProblem(c, "enable", err)
	}
	s.DropEnrolment(c)
	return s.renderSecondFactor(c, http.StatusOK, secondFactorView{Codes: codes})
}

// DisableSecondFactor is POST /account/second-factor/disable: password and code.
func (s *Pages) DisableSecondFactor(c *gin.Context) error {
	if err := s.Store.DisableSecondFactor(c.Request.Context(), httpx.Actor(c), secondFactorInput(postedForm(c)), s.Limits); err != nil {
		return s.secondFactorProblem(c, "disable", err)
	}
	return s.redirectFlash(c, SecondFactorPath, "flash.second_factor_disabled")
}

// RenewRecoveryCodes is POST /account/second-factor/recovery-codes: with the password,
// ten new codes replace the old ones, shown on this answer only.
func (s *Pages) RenewRecoveryCodes(c *gin.Context) error {
	codes, err := s.Store.RenewRecoveryCodes(c.Request.Context(), httpx.Actor(c), secondFactorInput(postedForm(c)), s.Limits)
	if err != nil {
		return s.secondFactorProblem(c, "renew", err)
	}
	return s.renderSecondFactor(c, http.StatusOK, secondFactorView{Codes: codes})
}
