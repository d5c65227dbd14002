// Package server is Lotse's HTTP side: the one route table with the permission next to
// each route, the JSON API under /api/v1, the server-rendered pages, and the middleware
// that every response passes (security headers, request ids, logs, metrics, sessions,
// cross-origin protection).
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
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
}

// DefaultConfig is the configuration for production unless the environment says otherwise.
func DefaultConfig() Config {
	return Config{SecureCookies: true, MaxBodyBytes: 1 << 20,
		LoginFailuresPerAccount: 5, LoginFailuresPerAddress: 30, LoginWindow: 15 * time.Minute,
		SessionCleanup: 5 * time.Minute}
}

// Server serves Lotse.
type Server struct {
	cfg      Config
	store    *store.Store
	authz    *authz.Authorizer
	sessions *scs.SessionManager
	i18n     *i18n.Bundle
	validate *validator.Validate
	pages    *pages
	metrics  *metrics
	engine   *gin.Engine
	ready    atomic.Bool
	routes   []route
}

// New builds a server on st and az. It fails on a bad trusted-proxy list or broken
// templates or locale files.
func New(cfg Config, st *store.Store, az *authz.Authorizer) (*Server, error) {
	s := &Server{cfg: cfg, store: st, authz: az}
	var err error
	if s.i18n, err = loadBundle(); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(s); err != nil {
		return nil, err
	}
	s.validate = newValidator()
	s.metrics = newMetrics()

	s.sessions = scs.New()
	s.sessions.Store = postgresstore.NewWithCleanupInterval(st.DB.DB, cfg.SessionCleanup)
	s.sessions.Lifetime = 12 * time.Hour
	s.sessions.IdleTimeout = 30 * time.Minute
	s.sessions.Cookie.Name = "lotse_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = cfg.SecureCookies
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		slog.Error("session store", "err", err)
		status := http.StatusInternalServerError
		if databaseUnavailable(err) {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "5")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(problem{Type: problemType + "unavailable",
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
	e.Use(s.recover, s.observe, s.authenticate)
	e.NoRoute(func(c *gin.Context) { s.fail(c, domain.NotFound()) })
	e.NoMethod(func(c *gin.Context) { s.fail(c, domain.NotFound()) })
	s.routes = s.routeTable()
	for _, r := range s.routes {
		e.Handle(r.method, r.path, s.guard(r), r.handle)
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
	withSessions := cop.Handler(s.sessions.LoadAndSave(s.engine))
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

// SetReady flips /readyz; graceful shutdown clears it before draining.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Registry is the Prometheus registry with the HTTP metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// Close stops the session cleanup.
func (s *Server) Close() {
	if ps, ok := s.sessions.Store.(*postgresstore.PostgresStore); ok {
		ps.StopCleanup()
	}
}

// headers sets the security headers on every response, 404 and 500 included, and caps
// request bodies.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
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

type ctxKey int

// requestDeadline bounds the work of one request (below the server's write timeout).
const requestDeadline = 30 * time.Second

const requestIDKey ctxKey = iota

// observe gives each request an id, logs it (no personal data: route template, not
// path) and counts it.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-ID")
	if len(id) < 8 || len(id) > 64 || !isToken(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Header("X-Request-ID", id)
	// Every request has a deadline: its queries are cancelled when it is over.
	ctx, cancel := context.WithTimeout(context.WithValue(c.Request.Context(), requestIDKey, id), requestDeadline)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
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
	slog.Log(c, level, "request", "request_id", id, "method", c.Request.Method, "route", route,
		"status", status, "duration_ms", float64(elapsed.Microseconds())/1000)
}

func requestID(c *gin.Context) string {
	id, _ := c.Request.Context().Value(requestIDKey).(string)
	return id
}

func isToken(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
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
