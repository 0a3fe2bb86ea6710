package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/portico-dev/portico/catalog"
)

// Error is a failed API call: the server's Backstage-style error body
// ({"error": {"name", "message"}, "response": {"statusCode"}}) or, when the
// body is not one, the HTTP status alone.
type Error struct {
	StatusCode int
	Name       string // InputError, NotFoundError, ConflictError, NotAllowedError, …
	Message    string
	Method     string
	URL        string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.StatusCode, e.Name, e.Message)
}

// Is matches the sentinel errors by name, so errors.Is(err, sdk.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.StatusCode == 0 && t.Name == e.Name
}

// Sentinels for errors.Is; they match any *Error with the same name.
var (
	ErrInput      = &Error{Name: "InputError"}
	ErrNotFound   = &Error{Name: "NotFoundError"}
	ErrConflict   = &Error{Name: "ConflictError"}
	ErrNotAllowed = &Error{Name: "NotAllowedError"}
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

func errorFromResponse(method, u string, resp *http.Response) error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, URL: u}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Error struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error.Name != "" {
		e.Name, e.Message = body.Error.Name, body.Error.Message
		return e
	}
	e.Name = catalog.ErrorNameForStatus(resp.StatusCode)
	e.Message = http.StatusText(resp.StatusCode)
	return e
}
