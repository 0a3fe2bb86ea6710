package catalog

import (
	"fmt"
	"net/http"
)

// The error types below are the ones a caller branches on. web maps them to
// HTTP statuses and Backstage's error names in exactly one place.

// InputError is bad input from the caller: HTTP 400, Backstage's InputError.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// NotFoundError is a missing entity or location: HTTP 404.
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }

// ConflictError is a clash with stored state: HTTP 409.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// NotAllowedError is a refused operation: HTTP 403.
type NotAllowedError struct{ Msg string }

func (e *NotAllowedError) Error() string { return e.Msg }

// Errorf helpers keep call sites short.
func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFoundError with a formatted message.
func NotFoundf(format string, args ...any) error {
	return &NotFoundError{Msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns a ConflictError with a formatted message.
func Conflictf(format string, args ...any) error {
	return &ConflictError{Msg: fmt.Sprintf(format, args...)}
}

// Inputf returns an InputError with a formatted message.
func Inputf(format string, args ...any) error { return inputErrorf(format, args...) }

// ErrorNameForStatus is Backstage's error name for an HTTP status, for an
// answer that carries no typed error (a status the server framework produced
// itself, or a response without Backstage's error body); "Error" otherwise.
func ErrorNameForStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "InputError"
	case http.StatusUnauthorized:
		return "AuthenticationError"
	case http.StatusForbidden:
		return "NotAllowedError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusConflict:
		return "ConflictError"
	case http.StatusRequestEntityTooLarge:
		return "PayloadTooLargeError"
	case http.StatusNotImplemented:
		return "NotImplementedError"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailableError"
	}
	return "Error"
}
