package catalog

import "fmt"

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
