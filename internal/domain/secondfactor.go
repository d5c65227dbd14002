package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor is a TOTP code (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, what
// every authenticator app makes) or, in its place, a one-time recovery code.

// SecondFactorAction marks the roles that must sign in with a second factor: whoever may
// manage users (the administrators) holds the keys to every account. Without one they
// reach nothing but the enrolment until they have set it up.
const SecondFactorAction = ActUserManage

// TOTPIssuer names Lotse in the authenticator app.
const TOTPIssuer = "Lotse"

// RecoveryCodeCount is how many recovery codes an enrolment hands out.
const RecoveryCodeCount = 10

const totpPeriod = 30 * time.Second

var totpOpts = totp.ValidateOpts{Period: uint(totpPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SecondFactor is the state of an account's second factor. Required says the account's
// roles need one (SecondFactorAction).
type SecondFactor struct {
	Enabled           bool       `json:"enabled"`
	EnabledAt         *time.Time `json:"enabled_at"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	Required          bool       `json:"required"`
}

// Enrolment is a second factor being set up: the new secret (base32, for typing into
// the app) and its otpauth:// URL (for the QR code). It is stored only once the person
// confirmed a code made from it.
type Enrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// SecondFactorInput re-authenticates a change of the second factor: the current
// password, and a code (of the app, or a recovery code) where the change needs one.
type SecondFactorInput struct {
	Password string `json:"current_password" validate:"required,max=1024"`
	Code     string `json:"code" validate:"max=64"`
}

// NewEnrolment makes a fresh 160-bit secret for the account named account (its e-mail).
func NewEnrolment(account string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, SecretSize: 20})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// EnrolmentOf is the enrolment of an existing secret; ErrInvalid ("code") for a secret
// that is no base32 of at least 80 bits (none: the enrolment has gone with the session).
func EnrolmentOf(secret, account string) (Enrolment, error) {
	raw, err := secretBytes(secret)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Secret: raw})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// CheckSecret refuses a secret that is no base32 of at least 80 bits (ErrInvalid,
// "code": without one, the enrolment has gone with the session).
func CheckSecret(secret string) error {
	_, err := secretBytes(secret)
	return err
}

func secretBytes(secret string) ([]byte, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil || len(raw) < 10 {
		return nil, Invalid("code", "error.enrolment_expired")
	}
	return raw, nil
}

// NormaliseCode removes blanks and dashes and lowers the case, as people type codes
// from a screen or a sheet of paper.
func NormaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// IsTOTPCode reports whether a normalised code has the shape of an app's code (six
// digits); anything else is taken as a recovery code.
func IsTOTPCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// TOTPStep finds the 30-second time step at which code is the code of secret: the step
// of now, or the one before or after it (phone clocks drift), and only a step after
// last (0: none yet), so that each code works once.
func TOTPStep(secret, code string, now time.Time, last int64) (int64, bool) {
	code = NormaliseCode(code)
	if !IsTOTPCode(code) {
		return 0, false
	}
	for _, skew := range []time.Duration{-1, 0, 1} {
		t := now.Add(skew * totpPeriod)
		step := t.Unix() / int64(totpPeriod/time.Second)
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U to misread.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewRecoveryCodes makes RecoveryCodeCount random codes of 10 characters (50 bits),
// written "xxxxx-xxxxx".
func NewRecoveryCodes() []string {
	out := make([]string, RecoveryCodeCount)
	for i := range out {
		var b [10]byte
		_, _ = rand.Read(b[:])
		var sb strings.Builder
		for j, v := range b {
			if j == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[v&31])
		}
		out[i] = sb.String()
	}
	return out
}

// RecoveryCodeHash is how a recovery code is stored: SHA-256 of its normalised form,
// with the letters people confuse with digits read as those digits.
func RecoveryCodeHash(code string) []byte {
	code = strings.NewReplacer("o", "0", "i", "1", "l", "1").Replace(NormaliseCode(code))
	h := sha256.Sum256([]byte(code))
	return h[:]
}
