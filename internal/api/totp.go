package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// SecondFactor is GET /api/v1/me/second-factor: whether the caller's second factor is
// on, how many recovery codes are left, and whether their roles require one.
func (a *API) SecondFactor(c *gin.Context) error {
	sf, err := a.Store.SecondFactor(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sf)
	return nil
}

// BeginSecondFactor is POST /api/v1/me/second-factor/enrolment: a new secret, as text,
// as otpauth:// URL and as QR code (PNG data: URI). The secret is kept in the caller's
// session (not in the database) until POST /api/v1/me/second-factor confirms it, so
// this needs the session cookie.
func (a *API) BeginSecondFactor(c *gin.Context) error {
	en, err := a.Store.BeginSecondFactor(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	qr, err := httpx.QRCode(en)
	if err != nil {
		return err
	}
	a.KeepEnrolment(c, en.Secret)
	c.JSON(http.StatusOK, gin.H{"secret": en.Secret, "otpauth_url": en.URL, "qr_code": qr})
	return nil
}

// EnableSecondFactor is POST /api/v1/me/second-factor: {"current_password", "code"}
// switches on the secret of this session's enrolment and answers the recovery codes,
// shown this once.
func (a *API) EnableSecondFactor(c *gin.Context) error {
	var in domain.SecondFactorInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	codes, err := a.Store.EnableSecondFactor(c.Request.Context(), httpx.Actor(c), a.KeptEnrolment(c), in, a.Limits)
	if err != nil {
		return err
	}
	a.DropEnrolment(c)
	c.JSON(http.StatusOK, gin.H{"recovery_codes": codes})
	return nil
}

// DisableSecondFactor is POST /api/v1/me/second-factor/disable: {"current_password",
// "code"} switches the second factor off.
func (a *API) DisableSecondFactor(c *gin.Context) error {
	var in domain.SecondFactorInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	if err := a.Store.DisableSecondFactor(c.Request.Context(), httpx.Actor(c), in, a.Limits); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// RenewRecoveryCodes is POST /api/v1/me/second-factor/recovery-codes:
// {"current_password"} replaces the recovery codes; the new ones are in this answer only.
func (a *API) RenewRecoveryCodes(c *gin.Context) error {
	var in domain.SecondFactorInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	codes, err := a.Store.RenewRecoveryCodes(c.Request.Context(), httpx.Actor(c), in, a.Limits)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"recovery_codes": codes})
	return nil
}
