package httpx

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// recordSession records this browser's session, whose token was just renewed from
// previous, as one of user's sessions (the list on the account page).
func (e *Env) recordSession(c *gin.Context, user uuid.UUID, previous string) error {
	ctx := c.Request.Context()
	return e.Store.StartSession(ctx, user, e.Sessions.Token(ctx), previous, c.Request.UserAgent())
}

// RenewSession keeps this browser signed in after its user's session epoch moved on to
// epoch (their own password change, which ended every session): a fresh token under
// the new epoch, recorded anew.
func (e *Env) RenewSession(c *gin.Context, epoch int) error {
	ctx := c.Request.Context()
	user, _ := CurrentUser(c)
	previous := e.Sessions.Token(ctx)
	if err := e.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	e.Sessions.Put(ctx, SessEpoch, epoch)
	return e.recordSession(c, user, previous)
}

// SessionToken is the token of this request's browser session ("" for none, e.g. a
// request with an API token): the store marks and spares the current session by it.
func (e *Env) SessionToken(c *gin.Context) string {
	return e.Sessions.Token(c.Request.Context())
}

// QuietSessions is the session store in front of another (PostgreSQL's) that leaves out
// writes which change nothing. With an idle timeout, scs writes every request's session
// back only to move its expiry: a write per page view, and the only write of a request
// that changes nothing. QuietSessions writes when the data differ from what this
// instance last wrote for the token, or when the expiry moved on by Every or more; so an
// idle session may end up to Every before its idle timeout. Another instance's writes
// make the data differ, so nothing it wrote is kept from the store. The data are
// compared decoded (Codec): the gob encoding of the values map follows Go's random map
// order, so equal sessions can encode to different bytes.
type QuietSessions struct {
	scs.Store
	Codec scs.Codec
	Every time.Duration

	mu      sync.Mutex
	written map[string]sessionWrite // token → what this instance last wrote
	commits int
}

type sessionWrite struct {
	sum    [sha256.Size]byte
	expiry time.Time
}

// NewQuietSessions puts QuietSessions in front of store, whose data codec encodes,
// writing an unchanged session at most every every.
func NewQuietSessions(store scs.Store, codec scs.Codec, every time.Duration) *QuietSessions {
	return &QuietSessions{Store: store, Codec: codec, Every: every, written: map[string]sessionWrite{}}
}

// Commit writes the session unless this instance wrote the same data for token less
// than Every before this expiry.
func (q *QuietSessions) Commit(token string, b []byte, expiry time.Time) error {
	sum, known := q.digest(b)
	q.mu.Lock()
	last, ok := q.written[token]
	q.mu.Unlock()
	if known && ok && last.sum == sum && expiry.Sub(last.expiry) < q.Every {
		return nil
	}
	if err := q.Store.Commit(token, b, expiry); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.written[token] = sessionWrite{sum: sum, expiry: expiry}
	if q.commits++; q.commits%1000 == 0 { // forget sessions that have expired since
		now := time.Now()
		for t, w := range q.written {
			if w.expiry.Before(now) {
				delete(q.written, t)
			}
		}
	}
	return nil
}

// digest sums the session's deadline and values, keys in order; false when b does not
// decode (then it is always written).
func (q *QuietSessions) digest(b []byte) ([sha256.Size]byte, bool) {
	deadline, values, err := q.Codec.Decode(b)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", deadline.UnixNano())
	for _, k := range slices.Sorted(maps.Keys(values)) {
		fmt.Fprintf(h, "%q=%T:%#v\n", k, values[k], values[k])
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, true
}

// Delete removes the session from the store and forgets it.
func (q *QuietSessions) Delete(token string) error {
	q.mu.Lock()
	delete(q.written, token)
	q.mu.Unlock()
	return q.Store.Delete(token)
}
