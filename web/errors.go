package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// This file is Portico's one HTTP error mapper. Handlers return errors; the
// catalog's typed errors become Backstage's error body (REFERENCE.md §2.1):
//
//	{"error": {"name", "message"}, "request": {"method", "url"}, "response": {"statusCode"}}
//
// A request that matches no route gets a 404 with an empty body, as Backstage's router.

// ErrorBody is the JSON error body, shared with the SDK's decoder by shape.
type ErrorBody struct {
	Error    ErrorDetail   `json:"error"`
	Request  *ErrorRequest `json:"request,omitempty"`
	Response ErrorResponse `json:"response"`
}

// ErrorDetail names the error as Backstage's serializeError does.
type ErrorDetail struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// ErrorRequest echoes the failed request.
type ErrorRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// ErrorResponse carries the status code.
type ErrorResponse struct {
	StatusCode int `json:"statusCode"`
}

// StatusOf maps an error to its HTTP status and Backstage error name: the
// catalog's typed errors first, then any error with a method
// `HTTPStatus() (status int, name string)` (how later areas, e.g. auth's
// AuthenticationError, map their own errors without editing this file), then
// Fiber's own errors; anything else is a 500 "Error".
func StatusOf(err error) (status int, name string) {
	var (
		in    *catalog.InputError
		nf    *catalog.NotFoundError
		cf    *catalog.ConflictError
		na    *catalog.NotAllowedError
		fe    *fiber.Error
		coded interface{ HTTPStatus() (int, string) }
	)
	switch {
	case errors.As(err, &in):
		return http.StatusBadRequest, "InputError"
	case errors.As(err, &na):
		return http.StatusForbidden, "NotAllowedError"
	case errors.As(err, &nf):
		return http.StatusNotFound, "NotFoundError"
	case errors.As(err, &cf):
		return http.StatusConflict, "ConflictError"
	case errors.As(err, &coded):
		return coded.HTTPStatus()
	case errors.As(err, &fe):
		return fe.Code, catalog.ErrorNameForStatus(fe.Code)
	}
	return http.StatusInternalServerError, "Error"
}

func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) && (fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed) {
			// No route matched (or only for another method): Backstage's
			// router answers 404 with an empty body.
			c.Response().ResetBody()
			c.Status(fiber.StatusNotFound)
			return nil
		}
		status, name := StatusOf(err)
		msg := err.Error()
		if status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "url", c.OriginalURL(), "err", err)
		}
		if fe != nil && status == http.StatusRequestEntityTooLarge {
			msg = "request entity too large"
		}
		c.Response().ResetBody()
		c.Response().Header.Del(fiber.HeaderLink)
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Status(status).JSON(ErrorBody{
			Error:    ErrorDetail{Name: name, Message: msg},
			Request:  &ErrorRequest{Method: c.Method(), URL: c.OriginalURL()},
			Response: ErrorResponse{StatusCode: status},
		})
	}
}
