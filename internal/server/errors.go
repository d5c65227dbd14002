package server

import (
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// statusOf is the one mapping from the application's error codes to HTTP status.
var statusOf = map[domain.Code]int{
	domain.ErrBadRequest:           http.StatusBadRequest,
	domain.ErrUnauthorized:         http.StatusUnauthorized,
	domain.ErrForbidden:            http.StatusForbidden,
	domain.ErrNotFound:             http.StatusNotFound,
	domain.ErrConflict:             http.StatusConflict,
	domain.ErrPreconditionFailed:   http.StatusPreconditionFailed,
	domain.ErrTooLarge:             http.StatusRequestEntityTooLarge,
	domain.ErrUnsupportedMedia:     http.StatusUnsupportedMediaType,
	domain.ErrInvalid:              http.StatusUnprocessableEntity,
	domain.ErrPreconditionRequired: http.StatusPreconditionRequired,
	domain.ErrThrottled:            http.StatusTooManyRequests,
	domain.ErrUnavailable:          http.StatusServiceUnavailable,
	domain.ErrInternal:             http.StatusInternalServerError,
}

// problemType prefixes the type URI of every problem document.
const problemType = "https://lotse.iq-netzwerk.de/problems/"

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []problemField `json:"errors,omitempty"`
}

type problemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// appError turns any error into an *domain.Error: database outages become ErrUnavailable,
// everything unknown ErrInternal (logged, never shown).
func appError(c *gin.Context, err error) *domain.Error {
	var e *domain.Error
	if errors.As(err, &e) {
		return e
	}
	if databaseUnavailable(err) {
		slog.Warn("database unavailable", "request_id", requestID(c), "err", err)
		return &domain.Error{Code: domain.ErrUnavailable, Message: "error.unavailable", Err: err}
	}
	slog.Error("internal error", "request_id", requestID(c), "route", c.FullPath(), "err", err)
	return &domain.Error{Code: domain.ErrInternal, Message: "error.internal", Err: err}
}

// databaseUnavailable reports whether err says the database cannot be reached right now.
func databaseUnavailable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// 08: connection exceptions; 57P0x: the server is shutting down or starting.
		return pqErr.Code.Class() == "08" || pqErr.Code == "57P01" || pqErr.Code == "57P02" || pqErr.Code == "57P03"
	}
	var opErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &opErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed)
}

// fail answers a request with err: problem+json under /api, an error page elsewhere.
func (s *Server) fail(c *gin.Context, err error) {
	e := appError(c, err)
	status := statusOf[e.Code]
	if e.Code == domain.ErrUnavailable {
		c.Header("Retry-After", "5")
	}
	if !isAPI(c) {
		s.errorPage(c, status, e)
		return
	}
	p := problem{
		Type:   problemType + string(e.Code),
		Title:  s.t(c, "status."+string(e.Code), nil),
		Status: status,
		Detail: s.t(c, e.Message, nil),
	}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, problemField{Field: f.Field, Message: s.t(c, f.Message, map[string]any{"Param": f.Param})})
	}
	c.Abort()
	c.Header("Content-Type", "application/problem+json")
	c.JSON(status, p)
}

// logError logs an error that does not change the answer (e.g. a failed audit of a denial).
func (s *Server) logError(c *gin.Context, err error) {
	slog.Error("request side effect failed", "request_id", requestID(c), "route", c.FullPath(), "err", err)
}
