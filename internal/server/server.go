// Package server assembles Lotse's HTTP side: the one route table with the permission
// and limits next to each route (handlers from package api and package pages), the
// middleware every response passes (security headers, request ids, logs, metrics,
// sessions, cross-origin protection, authentication, the permission guard), and the one
// place where errors become answers.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/iq-migrantenoekonomie/lotse/internal/api"
	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/pages"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Config is the server's configuration; the README lists the environment variables.
type Config struct {
	// TrustedProxies are the proxies whose X-Forwarded-For is believed (default: none).
	TrustedProxies []string
	// SecureCookies marks the session cookie Secure; off only for local plain HTTP.
	SecureCookies bool
	// MaxBodyBytes limits every request body.
	MaxBodyBytes int64
	// LoginFailuresPerAccount and LoginFailuresPerAddress within LoginWindow throttle sign-in.
	LoginFailuresPerAccount int
	LoginFailuresPerAddress int
	LoginWindow             time.Duration
	// SessionCleanup is how often expired sessions are deleted (0: never, for tests).
	SessionCleanup time.Duration
	// MinimumCell is the small-cell threshold of statistics (0: 5; never below 3).
	MinimumCell int
	// IdleTimeout ends a session after this long without a request (0: 30 minutes;
	// tests shorten it).
	IdleTimeout time.Duration
	// MetricsPublic serves /metrics on the main listener too (LOTSE_METRICS_PUBLIC);
	// otherwise it answers 404 there and only MetricsHandler serves the metrics.
	MetricsPublic bool
}

// DefaultConfig is the configuration for production unless the environment says otherwise.
func DefaultConfig() Config {
	return Config{SecureCookies: true, MaxBodyBytes: 1 << 20,
		LoginFailuresPerAccount: 5, LoginFailuresPerAddress: 30, LoginWindow: 15 * time.Minute,
		SessionCleanup: 5 * time.Minute}
}

// Server serves Lotse.
type Server struct {
	cfg     Config
	env     *httpx.Env
	pages   *pages.Pages
	metrics *metrics
	engine  *gin.Engine
	ready   atomic.Bool
	routes  []route
	// perms is each route's permission by "METHOD /template", for the audit of 404s.
	perms map[string]domain.Action
	// sessionRows is the session table behind env.Sessions.
	sessionRows *postgresstore.PostgresStore
}

// New builds a server on st and az; the store's use cases decide with az from now on.
// It fails on a bad trusted-proxy list or broken templates or locale files.
func New(cfg Config, st *store.Store, az *authz.Authorizer) (*Server, error) {
	st.Authorize = az.Scope
	st.MembershipsChanged = az.Reload
	env := &httpx.Env{Store: st, Authz: az, Limits: store.LoginLimits{
		PerAccount: cfg.LoginFailuresPerAccount, PerAddress: cfg.LoginFailuresPerAddress, Window: cfg.LoginWindow},
		MinimumCell: cfg.MinimumCell}
	s := &Server{cfg: cfg, env: env}
	var err error
	if env.I18n, err = httpx.LoadBundle(); err != nil {
		return nil, err
	}
	if s.pages, err = pages.New(env); err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	if st.Replica != nil {
		s.metrics.watchReplica(st.Replica)
	}

	sessions := scs.New()
	env.Sessions = sessions
	s.sessionRows = postgresstore.NewWithCleanupInterval(st.DB.DB, cfg.SessionCleanup)
	sessions.Lifetime = 12 * time.Hour
	sessions.IdleTimeout = 30 * time.Minute
	if cfg.IdleTimeout > 0 {
		sessions.IdleTimeout = cfg.IdleTimeout
	}
	// A request that changes nothing writes no session: its expiry moves once a minute,
	// or a thirtieth of a shorter idle timeout (else a renewal would never be written).
	sessions.Store = httpx.NewQuietSessions(s.sessionRows, sessions.Codec, min(time.Minute, sessions.IdleTimeout/30))
	sessions.Cookie.Name = "lotse_session"
	if cfg.SecureCookies {
		// __Host-: browsers accept the cookie only from a secure origin, for Path=/ and
		// without Domain, so no subdomain or plain-HTTP page can set or shadow it. Local
		// plain HTTP keeps the bare name, which browsers would refuse with the prefix.
		sessions.Cookie.Name = "__Host-lotse_session"
		sessions.Cookie.Path = "/"
		sessions.Cookie.Domain = ""
	}
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	sessions.Cookie.Secure = cfg.SecureCookies
	sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		slog.Error("session store", "err", err)
		status := http.StatusInternalServerError
		if httpx.DatabaseUnavailable(err) {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "5")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(httpx.Problem{Type: httpx.ProblemType + "unavailable",
				Title: http.StatusText(status), Status: status, Detail: "database unavailable, please retry"})
			return
		}
		http.Error(w, http.StatusText(status), status)
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	e.Use(s.recover, s.observe, s.screen, s.authenticate)
	e.NoRoute(func(c *gin.Context) { s.fail(c, domain.NotFound()) })
	e.NoMethod(func(c *gin.Context) { s.fail(c, domain.NotFound()) })
	s.routes = s.routeTable(api.New(env), s.pages)
	s.perms = map[string]domain.Action{}
	for _, r := range s.routes {
		s.perms[r.method+" "+r.path] = r.perm
		e.Handle(r.method, r.path, s.limit(r.limits), s.guard(r), s.gate(r.limits), s.screenForm, s.run(r.handle))
	}
	s.engine = e
	s.ready.Store(true)
	return s, nil
}

// Handler is the whole HTTP handler: security headers and body limits outermost, then
// cross-origin protection for every state-changing request, then sessions, then Gin;
// the operations endpoints skip the session.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"type":"https://lotse.iq-netzwerk.de/problems/cross_origin","title":"Forbidden","status":403,"detail":"cross-origin request refused"}`))
	}))
	withSessions := cop.Handler(s.env.Sessions.LoadAndSave(s.engine))
	return s.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opsPaths[r.URL.Path] {
			s.engine.ServeHTTP(w, r)
			return
		}
		withSessions.ServeHTTP(w, r)
	}))
}

// opsPaths answer without a session, so that health and metrics do not depend on the
// database-backed session store (/readyz checks the database itself).
var opsPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// SetReady flips /readyz; graceful shutdown clears it before draining. While not ready,
// every answer also closes its connection ("Connection: close", see headers).
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Registry is the Prometheus registry with the HTTP metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// Close stops the session cleanup.
func (s *Server) Close() {
	s.sessionRows.StopCleanup()
}

// headers sets the security headers on every response, 404 and 500 included, and caps
// request bodies. While shutting down (not ready), every answer says "Connection: close"
// and Go's server closes the connection after it: each keep-alive client is moved off
// this instance after a whole answer to its next request, never by a connection closed
// under a request it is sending (which http.Server.SetKeepAlivesEnabled(false) would do:
// it closes every idle connection at once, racing clients about to reuse them).
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if !s.ready.Load() {
			h.Set("Connection", "close")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Answers carry personal data: no cache keeps them. /static overrides this.
		h.Set("Cache-Control", "no-store")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// observe gives each request an id, logs it (no personal data: route template, not
// path) and counts it. The id is always the server's own (answered as X-Request-ID,
// written to the audit trail): a client could otherwise choose what the audit trail
// says, or make two requests look like one. A client's X-Request-ID is logged beside
// it as client_request_id, to follow a request across systems, when it is at most 64
// printable ASCII characters; otherwise it is dropped.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Header("X-Request-ID", id)
	c.Request = c.Request.WithContext(httpx.WithRequestID(c.Request.Context(), id))
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"request_id", id, "method", c.Request.Method, "route", route,
		"status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000}
	if client := c.GetHeader("X-Request-ID"); clientRequestID(client) {
		attrs = append(attrs, "client_request_id", client)
	}
	slog.Log(c, level, "request", attrs...)
}

// clientRequestID reports whether a client's X-Request-ID is fit to log: 1 to 64
// printable ASCII characters.
func clientRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// screen is the input gate for what every request carries — path, query, the headers
// Lotse reads (httpx.Screen) — before authentication or any handler reads it. Form
// bodies are screened per route (screenForm), after the route's body limit; JSON
// bodies when they are read (httpx.ReadJSON).
func (s *Server) screen(c *gin.Context) {
	if err := httpx.Screen(c.Request); err != nil {
		s.fail(c, err)
	}
}

// screenForm is the input gate for form bodies (httpx.ScreenForm).
func (s *Server) screenForm(c *gin.Context) {
	if err := httpx.ScreenForm(c.Request); err != nil {
		s.fail(c, err)
	}
}

// limit applies a route's limits: a deadline for its work (its queries are cancelled
// when it is over) and a cap on its body.
func (s *Server) limit(l limits) gin.HandlerFunc {
	if l.deadline == 0 {
		l.deadline = defaultDeadline
	}
	if l.body == 0 {
		l.body = defaultBody
	}
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), l.deadline)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, l.body)
		}
		c.Next()
	}
}

// gate bounds how many requests of a route one user runs at once (limits.perUser).
func (s *Server) gate(l limits) gin.HandlerFunc {
	if l.perUser == 0 {
		return func(*gin.Context) {}
	}
	var mu sync.Mutex
	running := map[uuid.UUID]int{}
	return func(c *gin.Context) {
		user, _ := httpx.CurrentUser(c)
		mu.Lock()
		if running[user] >= l.perUser {
			mu.Unlock()
			c.Header("Retry-After", "10")
			s.fail(c, domain.Errorf(domain.ErrThrottled, "error.export_busy"))
			return
		}
		running[user]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if running[user]--; running[user] == 0 {
				delete(running, user)
			}
			mu.Unlock()
		}()
		c.Next()
	}
}

// run calls a handler and answers its error.
func (s *Server) run(h httpx.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.fail(c, err)
		}
	}
}

// fail is the one place where an error becomes an answer: problem+json under /api, the
// error page elsewhere. A refusal to reach an object is audited here (authz.denied);
// the caller sees the same 404 as for an absent object. An absent object a signed-in
// caller names is audited too (authz.not_found, see auditAbsent): the same write in
// both cases, so that the time of the answer does not tell them apart either.
func (s *Server) fail(c *gin.Context, err error) {
	e := httpx.AppError(c, err)
	if d := e.Denial; d != nil {
		id := d.ObjectID
		ev := store.Event{Action: "authz.denied", ObjectType: d.ObjectType, ObjectID: &id, Outcome: "denied:" + string(d.Action)}
		if aerr := s.env.Store.Audit(c.Request.Context(), httpx.Actor(c), ev); aerr != nil {
			httpx.LogError(c, aerr)
		}
	} else if e.Code == domain.ErrNotFound {
		s.auditAbsent(c)
	}
	switch e.Code {
	case domain.ErrUnavailable:
		c.Header("Retry-After", "5")
	case domain.ErrThrottled:
		switch {
		case e.RetryAfter > 0: // the sign-in throttle knows when its window frees a place
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
		case c.Writer.Header().Get("Retry-After") == "":
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(s.cfg.LoginWindow.Seconds()))))
		}
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		s.env.WriteProblem(c, e)
		return
	}
	s.pages.ErrorPage(c, e)
}

// auditAbsent records authz.not_found when a signed-in caller named an object by an id
// that leads nowhere: the object of the route's last path parameter that is an id.
//
// Why audit absent objects rather than write denials asynchronously: a denial is
// audited with one INSERT before the answer; without the same INSERT for an absent
// object, an out-of-scope id answered measurably slower than an unknown one, which told
// a prober which ids exist in other carriers. Writing denials in the background would
// hide the difference as well, but a full queue or a crash would lose audit events,
// and the trail is a record of what happened. Recording both costs one small write per
// 404 of a signed-in caller and shows id probing in the security events.
// Requests without a user (401 first), unknown routes and ids that are no UUID (404
// before any query) are not audited: they touch no object.
func (s *Server) auditAbsent(c *gin.Context) {
	if _, ok := httpx.CurrentUser(c); !ok || c.FullPath() == "" {
		return
	}
	var id uuid.UUID
	var param string
	for _, p := range c.Params {
		if u, err := uuid.Parse(p.Value); err == nil {
			id, param = u, p.Key
		}
	}
	if param == "" {
		return
	}
	ev := store.Event{Action: "authz.not_found", ObjectType: objectTypeOf(c.FullPath(), param), ObjectID: &id,
		Outcome: "denied:" + string(s.perms[c.Request.Method+" "+c.FullPath()])}
	if err := s.env.Store.Audit(c.Request.Context(), httpx.Actor(c), ev); err != nil {
		httpx.LogError(c, err)
	}
}

// objectTypes names the object of a path segment followed by an id parameter.
var objectTypes = map[string]string{"cases": "case", "founders": "founder", "consultations": "consultation",
	"notes": "note", "milestones": "milestone", "follow-ups": "follow_up", "users": "user", "tokens": "token",
	"carriers": "carrier", "sessions": "session"}

// objectTypeOf is the type of the object named by :param in the route template: the
// segment before it ("/api/v1/cases/:id/notes" → "case"); "" when unknown.
func objectTypeOf(template, param string) string {
	segs := strings.Split(template, "/")
	for i := 1; i < len(segs); i++ {
		if segs[i] == ":"+param || segs[i] == "*"+param {
			return objectTypes[segs[i-1]]
		}
	}
	return ""
}

// recover turns a panic into a 500 without internals.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.fail(c, errors.New("panic: "+slogValue(v)))
		}
	}()
	c.Next()
}

func slogValue(v any) string { return slog.AnyValue(v).String() }
