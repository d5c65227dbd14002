package httpx

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// Input kept across an ended session. An advisor who leaves a form open for longer than
// the idle timeout (30 minutes between two appointments is normal) and then sends it
// has no session any more; nothing is saved, but nothing typed is lost either: the page
// answers with the sign-in, and after signing in the same person finds the form again
// with their input, to check it and send it once more. It is never saved silently:
// the request that carried it was not signed in, and whether it should still be sent
// is the person's decision.
//
// Who may see it. The person at the browser after the session ended may be someone
// else (a shared office computer), so the input is bound to the account that was
// signed in on this browser and is shown to that account only:
//
//   - The session cookie cannot say who that was: scs gives it the idle timeout as its
//     Max-Age, so the browser has dropped it when the form comes. Every page shown to a
//     signed-in person therefore names them in a second cookie, KeptOwnerCookie (set
//     when it does not name them yet): the account's id, not a secret, and it
//     authenticates nothing — it only names whose kept input a later sign-in on this
//     browser may see. Signing out deletes it, so after a deliberate sign-out nothing
//     is kept. (Pages, not the sign-in, set it: a form is always sent from a page, and
//     the sign-in's answer carries the session cookie alone.)
//   - The input is kept on the server, in the new (anonymous) session, never in the
//     sign-in page: hidden fields there would put the text into the page of whoever
//     comes next. It expires after KeptFor, is shown once, and a sign-in as any other
//     account discards it (StartSession).
//   - Secrets (passwords) and the form's one-time token are never kept.
//
// Cross-site requests cannot plant input: http.CrossOriginProtection refuses
// cross-origin POSTs before the session is even loaded, so a kept form comes from one
// of Lotse's own pages. The expired request's form token belongs to no session and no
// claim was made with it; the restored form gets a fresh one like every render.

// SessKept is the session key of the kept input (JSON of KeptForm).
const SessKept = "kept_form"

// KeptFor is how long kept input waits for its owner to sign in.
const KeptFor = 15 * time.Minute

// keptOwnerAge is how long the owner cookie lives: a session's absolute lifetime (12
// hours) and a little more, so the form of a session that ran out at its end is kept too.
const keptOwnerAge = 13 * time.Hour

// KeptForm is the input of a page form sent without a session.
type KeptForm struct {
	Owner uuid.UUID `json:"owner"`
	// Page is the page the form is on (its path); Form names the form on that page
	// (the case page has many).
	Page   string     `json:"page"`
	Form   string     `json:"form"`
	Values url.Values `json:"values"`
	Until  time.Time  `json:"until"`
}

// KeptOwnerCookie is the name of the cookie that says whose input a browser may keep.
func (e *Env) KeptOwnerCookie() string {
	if strings.HasPrefix(e.Sessions.Cookie.Name, "__Host-") {
		return "__Host-lotse_kept_for"
	}
	return "lotse_kept_for"
}

// setKeptOwner names user as the owner of input this browser sends after the session
// ended; a zero user deletes the cookie.
func (e *Env) setKeptOwner(c *gin.Context, user uuid.UUID) {
	// Secure as the session cookie: off only for local plain HTTP (LOTSE_INSECURE_COOKIES).
	ck := &http.Cookie{Name: e.KeptOwnerCookie(), Value: user.String(), Path: "/", HttpOnly: true, //nolint:gosec // see above
		Secure: e.Sessions.Cookie.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(keptOwnerAge.Seconds())}
	if user == uuid.Nil {
		ck.Value, ck.MaxAge = "", -1
	}
	http.SetCookie(c.Writer, ck)
}

// NameKeptOwner names user as the owner of input this browser may send after the
// session ended, unless the cookie names them already.
func (e *Env) NameKeptOwner(c *gin.Context, user uuid.UUID) {
	if e.KeptOwner(c) != user {
		e.setKeptOwner(c, user)
	}
}

// KeptOwner is the account whose session this browser had (uuid.Nil when unknown).
func (e *Env) KeptOwner(c *gin.Context) uuid.UUID {
	v, err := c.Cookie(e.KeptOwnerCookie())
	if err != nil {
		return uuid.Nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// Keep stores k in this (anonymous) session until KeptFor from now.
func (e *Env) Keep(c *gin.Context, k KeptForm) {
	k.Until = time.Now().Add(KeptFor)
	b, err := json.Marshal(k)
	if err != nil {
		return
	}
	e.Sessions.Put(c.Request.Context(), SessKept, string(b))
}

// kept is the kept input of this session, if any and not expired.
func (e *Env) kept(c *gin.Context) (KeptForm, bool) {
	var k KeptForm
	s := e.Sessions.GetString(c.Request.Context(), SessKept)
	if s == "" || json.Unmarshal([]byte(s), &k) != nil || time.Now().After(k.Until) {
		return KeptForm{}, false
	}
	return k, true
}

// HasKept reports whether this session holds kept input (the sign-in page says so).
func (e *Env) HasKept(c *gin.Context) bool {
	_, ok := e.kept(c)
	return ok
}

// TakeKept returns, once, the input kept for page when the signed-in user is its owner.
// Kept input of another page stays until it expires (the person may go there next).
func (e *Env) TakeKept(c *gin.Context, page string) (KeptForm, bool) {
	user, ok := CurrentUser(c)
	if !ok {
		return KeptForm{}, false
	}
	k, ok := e.kept(c)
	if !ok || k.Owner != user || k.Page != page {
		return KeptForm{}, false
	}
	e.Sessions.Remove(c.Request.Context(), SessKept)
	return k, true
}

// dropKeptOf discards kept input that is not user's (a sign-in as another account).
func (e *Env) dropKeptOf(c *gin.Context, user uuid.UUID) {
	if k, ok := e.kept(c); !ok || k.Owner != user {
		e.Sessions.Remove(c.Request.Context(), SessKept)
	}
}
