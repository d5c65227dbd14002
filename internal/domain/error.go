// Package domain holds Lotse's entities, catalogues and rules, and the one error type
// every layer returns. It knows nothing of HTTP or SQL.
package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Code classifies an Error; the HTTP layer maps each code to one status in one place.
type Code string

// The error codes. Each maps to exactly one HTTP status (see server/errors.go).
const (
	ErrBadRequest           Code = "bad_request"           // malformed input: 400
	ErrUnauthorized         Code = "unauthorized"          // not signed in: 401
	ErrForbidden            Code = "forbidden"             // the role may never do this: 403
	ErrNotFound             Code = "not_found"             // absent or outside the scope: 404
	ErrConflict             Code = "conflict"              // unique value taken, wrong state: 409
	ErrPreconditionFailed   Code = "precondition_failed"   // stale If-Match: 412
	ErrTooLarge             Code = "too_large"             // body over the limit: 413
	ErrUnsupportedMedia     Code = "unsupported_media"     // not JSON: 415
	ErrInvalid              Code = "invalid"               // validation: 422
	ErrPreconditionRequired Code = "precondition_required" // If-Match missing: 428
	ErrThrottled            Code = "throttled"             // too many attempts: 429
	ErrUnavailable          Code = "unavailable"           // database away: 503
	ErrInternal             Code = "internal"              // anything else: 500, never shown
)

// FieldError names one invalid input field. Message is an i18n message ID, translated
// by the HTTP layer into the request's language; Param fills its placeholder.
type FieldError struct {
	Field   string
	Message string
	Param   string
}

// Error is the application error. Message is an i18n message ID safe to show; Err,
// when set, is the internal cause and is only logged.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error
	// Denial, on a not-found answer, records that the object exists outside the caller's
	// scope: the caller sees the same 404, the HTTP side audits the refusal.
	Denial *Denial
	// RetryAfter, on a throttled answer, is how long until another attempt may be
	// checked (the HTTP side sends it as Retry-After); 0 when unknown.
	RetryAfter time.Duration
	// Candidates, on an intake refused as a likely duplicate, are the known founders
	// the person may be (shown to the caller; never logged).
	Candidates []FounderMatch
}

// Denial is a refused access to one object, for the audit trail.
type Denial struct {
	Action     Action
	ObjectType string
	ObjectID   uuid.UUID
}

// Denied is the answer for an object outside the caller's scope: the same 404 as for an
// absent one, with the refusal attached for the audit.
func Denied(action Action, objectType string, id uuid.UUID) *Error {
	e := NotFound()
	e.Denial = &Denial{Action: action, ObjectType: objectType, ObjectID: id}
	return e
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a code and a message ID.
func Errorf(code Code, messageID string) *Error {
	return &Error{Code: code, Message: messageID}
}

// Invalid returns a validation error for one field; message is an i18n message ID.
func Invalid(field, messageID string) *Error {
	return &Error{Code: ErrInvalid, Message: "error.invalid", Fields: []FieldError{{Field: field, Message: messageID}}}
}

// NotFound is the one answer for absent objects and objects outside the caller's scope.
func NotFound() *Error { return &Error{Code: ErrNotFound, Message: "error.not_found"} }

// ErrorCode returns the code of err, ErrInternal for errors that are not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// Problems collects field errors of one input, so all of them are reported at once.
type Problems []FieldError

// Add records an invalid field; message is an i18n message ID.
func (p *Problems) Add(field, messageID string) {
	*p = append(*p, FieldError{Field: field, Message: messageID})
}

// Err returns nil when nothing was added, else one ErrInvalid error naming every field.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: ErrInvalid, Message: "error.invalid", Fields: p}
}
