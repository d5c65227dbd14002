package httpx

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/pquerna/otp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Session keys of the second factor. The session lives on the server (scs, in
// PostgreSQL): what is put here never reaches the browser.
const (
	// A sign-in whose password was right and whose code is still to come: the user,
	// their session epoch then, when, and where to go after. Not signed in yet.
	sessPendingUser  = "second_factor_user"
	sessPendingEpoch = "second_factor_epoch"
	sessPendingAt    = "second_factor_at"
	sessPendingNext  = "second_factor_next"
	// The secret of an enrolment shown but not yet confirmed, bound to this session,
	// so nobody else can plant or read it.
	sessEnrolment = "second_factor_enrolment"
)

// PendingFor is how long the second step of a sign-in may take.
const PendingFor = 5 * time.Minute

// StartSecondStep remembers that cred's password was right and the code is still to
// come; next is where to go after. The session token is renewed: the browser now holds
// a session that is worth something.
func (e *Env) StartSecondStep(c *gin.Context, cred store.Credentials, next string) error {
	ctx := c.Request.Context()
	if err := e.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	e.Sessions.Put(ctx, sessPendingUser, cred.ID.String())
	e.Sessions.Put(ctx, sessPendingEpoch, cred.SessionEpoch)
	e.Sessions.Put(ctx, sessPendingAt, time.Now().Unix())
	e.Sessions.Put(ctx, sessPendingNext, next)
	return nil
}

// SecondStep is the pending sign-in of this session: the user, their session epoch then
// and where to go after; ok is false without one or when it is older than PendingFor.
func (e *Env) SecondStep(c *gin.Context) (user uuid.UUID, epoch int, next string, ok bool) {
	ctx := c.Request.Context()
	user, err := uuid.Parse(e.Sessions.GetString(ctx, sessPendingUser))
	if err != nil {
		return uuid.Nil, 0, "", false
	}
	at := time.Unix(e.Sessions.GetInt64(ctx, sessPendingAt), 0)
	if time.Since(at) > PendingFor {
		e.EndSecondStep(c)
		return uuid.Nil, 0, "", false
	}
	return user, e.Sessions.GetInt(ctx, sessPendingEpoch), e.Sessions.GetString(ctx, sessPendingNext), true
}

// EndSecondStep forgets the pending sign-in.
func (e *Env) EndSecondStep(c *gin.Context) {
	ctx := c.Request.Context()
	for _, k := range []string{sessPendingUser, sessPendingEpoch, sessPendingAt, sessPendingNext} {
		e.Sessions.Remove(ctx, k)
	}
}

// KeepEnrolment remembers the secret of an enrolment shown in this session.
func (e *Env) KeepEnrolment(c *gin.Context, secret string) {
	e.Sessions.Put(c.Request.Context(), sessEnrolment, secret)
}

// KeptEnrolment is the secret of the enrolment shown in this session ("" for none).
func (e *Env) KeptEnrolment(c *gin.Context) string {
	return e.Sessions.GetString(c.Request.Context(), sessEnrolment)
}

// DropEnrolment forgets the enrolment of this session.
func (e *Env) DropEnrolment(c *gin.Context) {
	e.Sessions.Remove(c.Request.Context(), sessEnrolment)
}

// QRCode renders the otpauth:// URL of en as a PNG QR code in a data: URI, made on the
// server (the CSP allows img-src data:; no script, no third party sees the secret).
func QRCode(en domain.Enrolment) (string, error) {
	key, err := otp.NewKeyFromURL(en.URL)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
