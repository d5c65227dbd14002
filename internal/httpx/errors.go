package httpx

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

// StatusOf is the one mapping from the application's error codes to HTTP status.
var StatusOf = map[domain.Code]int{
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

// ProblemType prefixes the type URI of every problem document.
const ProblemType = "https://lotse.iq-netzwerk.de/problems/"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Code is the message id of the detail (e.g. "error.otp_required"): stable, for
	// clients that act on the kind of problem, whatever the language of the detail.
	Code   string         `json:"code,omitempty"`
	Errors []ProblemField `json:"errors,omitempty"`
	// Candidates are the known founders an intake may be about (409,
	// error.likely_duplicate_founder).
	Candidates []domain.FounderMatch `json:"candidates,omitempty"`
}

// ProblemField is one invalid field of a problem document.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// AppError turns any error into a *domain.Error: database outages become
// ErrUnavailable, everything unknown ErrInternal (logged, never shown).
func AppError(c *gin.Context, err error) *domain.Error {
	var e *domain.Error
	if errors.As(err, &e) {
		return e
	}
	if DatabaseUnavailable(err) {
		slog.Warn("database unavailable", "request_id", RequestID(c), "err", err)
		return &domain.Error{Code: domain.ErrUnavailable, Message: "error.unavailable", Err: err}
	}
	slog.Error("internal error", "request_id", RequestID(c), "route", c.FullPath(), "err", err)
	return &domain.Error{Code: domain.ErrInternal, Message: "error.internal", Err: err}
}

// DatabaseUnavailable reports whether err says the database cannot be reached right now.
func DatabaseUnavailable(err error) bool {
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

// WriteProblem answers with e as application/problem+json in the request's language.
func (env *Env) WriteProblem(c *gin.Context, e *domain.Error) {
	status := StatusOf[e.Code]
	p := Problem{
		Type:   ProblemType + string(e.Code),
		Title:  env.T(c, "status."+string(e.Code), nil),
		Status: status,
		Detail: env.T(c, e.Message, nil),
		Code:   e.Message,
	}
	p.Candidates = e.Candidates
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, ProblemField{Field: f.Field, Message: env.T(c, f.Message, map[string]any{"Param": f.Param})})
	}
	c.Abort()
	c.Header("Content-Type", "application/problem+json")
	c.JSON(status, p)
}

// LogError logs an error that does not change the answer.
func LogError(c *gin.Context, err error) {
	slog.Error("request side effect failed", "request_id", RequestID(c), "route", c.FullPath(), "err", err)
}
