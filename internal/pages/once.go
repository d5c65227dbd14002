package pages

import (
	"crypto/rand"
	"errors"
	"net/url"
	"regexp"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// One-time form tokens. Every page form that creates something (an intake, a
// consultation, a note, a milestone, a follow-up, a consent, an API token, a carrier, an
// account) carries a fresh random token in the hidden field form_token (partial "once",
// template function formToken). The handler passes it to the use case as the
// Idempotency-Key the JSON API takes from its header, so the store claims it in the
// creating transaction: the same form sent again — a double click, the browser's
// "resend", a retry after an error page — finds the key and answers with the first
// object, and the handler redirects exactly as the first time (same target, same
// message). The same token with other input is refused (422, "already sent"), and the
// form comes back with that input and a new token, so sending it again is deliberate.
//
// A refused sending (invalid input, a closed case) claims nothing: its transaction,
// claim included, is rolled back, so the corrected form may come with the same token (the
// browser's back button keeps it) and creates. Every page render draws new tokens.
//
// A form without a token is accepted without this protection: only forms rendered before
// the tokens were introduced (a tab left open across a deploy) and hand-made requests
// send none, and refusing them would gain nothing — a client that wants two objects can
// send two tokens. forms_once_test.go checks that every creating form renders one.

// formTokenField is the hidden field that carries a form's token.
const formTokenField = "form_token"

// newFormToken is a new form token: 128 random bits, 26 characters of base32.
func newFormToken() string { return rand.Text() }

// formTokenPattern admits the tokens newFormToken makes, with room for another length.
var formTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// formSecrets are fields left out of a form's fingerprint: the request hash is a plain
// SHA-256 kept for a day, and must not become a fast way to test guesses at a password
// that is otherwise only stored as an argon2id hash.
var formSecrets = []string{formTokenField, "password", "current_password", "new_password", "new_password_confirm"}

// formOnce is the idempotency of a creating form: its token as the key, the route (method,
// pattern and object id, as for the API) and the posted fields without the token and the
// secrets, in a canonical order (url.Values.Encode sorts by name and keeps the order of
// repeated fields, which is the form's order). nil without token; ErrInvalid for a token
// this server did not make.
func formOnce(c *gin.Context, form url.Values) (*store.Idempotency, error) {
	tok := form.Get(formTokenField)
	if tok == "" {
		return nil, nil
	}
	if !formTokenPattern.MatchString(tok) {
		return nil, domain.Errorf(domain.ErrInvalid, "error.form_token_invalid")
	}
	fields := url.Values{}
	for k, v := range form {
		if !slices.Contains(formSecrets, k) {
			fields[k] = v
		}
	}
	return &store.Idempotency{Key: tok, Route: c.Request.Method + " " + c.FullPath() + " " + c.Param("id"),
		Body: []byte(fields.Encode())}, nil
}

// formTokenProblem turns the store's refusal of a reused Idempotency-Key into the page's
// message: this form was sent before with other input.
func formTokenProblem(err error) error {
	var e *domain.Error
	if errors.As(err, &e) && e.Code == domain.ErrInvalid && slices.ContainsFunc(e.Fields, func(f domain.FieldError) bool {
		return f.Field == "Idempotency-Key"
	}) {
		return domain.Errorf(domain.ErrInvalid, "error.form_already_sent")
	}
	return err
}

// tokenSentAgain reports whether CreateToken refused a token form sent again: the token
// exists, and its secret was shown with the first answer only.
func tokenSentAgain(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Code == domain.ErrConflict && e.Message == "error.token_secret_shown_once"
}
