package catalogapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

var jsonContentType = regexp.MustCompile(`^application/json($|;)`)

// requireJSONBody applies Backstage's validateRequestBody checks (service/util.ts)
// in its order and returns the raw object body.
func requireJSONBody(c *fiber.Ctx) ([]byte, error) {
	ct := c.Get(fiber.HeaderContentType)
	switch {
	case ct == "":
		return nil, catalog.Inputf("Content-Type missing")
	case !jsonContentType.MatchString(strings.ToLower(ct)):
		return nil, catalog.Inputf("Illegal Content-Type")
	}
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil, catalog.Inputf("Missing request body")
	}
	if !json.Valid(body) {
		return nil, catalog.Inputf("Malformed request body: not valid JSON")
	}
	if body[0] != '{' {
		return nil, catalog.Inputf("Expected body to be a JSON object")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, catalog.Inputf("Malformed request body: %v", err)
	}
	if len(probe) == 0 {
		return nil, catalog.Inputf("Empty request body")
	}
	return body, nil
}

// optionalJSONBody returns the body of a route whose body may be absent (the
// OpenAPI spec marks it optional): nil when empty, else it must be a JSON object.
func optionalJSONBody(c *fiber.Ctx) ([]byte, error) {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return nil, nil
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !jsonContentType.MatchString(strings.ToLower(ct)) {
		return nil, catalog.Inputf("Illegal Content-Type")
	}
	if !json.Valid(body) {
		return nil, catalog.Inputf("Malformed request body: not valid JSON")
	}
	if body[0] != '{' {
		return nil, catalog.Inputf("Expected body to be a JSON object")
	}
	return body, nil
}

// decodeStrict decodes body into v, refusing unknown fields (the zod schemas are
// strict), with a message naming the problem.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return catalog.Inputf("Malformed request: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return catalog.Inputf("Malformed request: trailing data after the JSON object")
	}
	return nil
}

// decodeLenient decodes body into v, ignoring unknown fields (routes validated
// only by the OpenAPI schema, which allows them).
func decodeLenient(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return catalog.Inputf("Malformed request: %s", describeJSONError(err))
	}
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return fmt.Sprintf("%s: expected %s, found %s", field, te.Type.String(), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// rejectNUL refuses NUL characters anywhere in the query string or body: no
// entity field may hold one, and stores (PostgreSQL text) cannot either.
func rejectNUL(c *fiber.Ctx) error {
	bad := false
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 {
			bad = true
		}
	})
	if bad || strings.IndexByte(c.Path(), 0) >= 0 {
		return catalog.Inputf("Invalid request: NUL characters are not allowed")
	}
	if b := c.Body(); bytes.IndexByte(b, 0) >= 0 || hasEscapedNUL(b) {
		return catalog.Inputf("Invalid request body: NUL characters are not allowed")
	}
	return nil
}

// hasEscapedNUL finds a JSON `\u0000` escape that is not itself an escaped
// backslash followed by the text "u0000".
func hasEscapedNUL(b []byte) bool {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(`\u0000`))
		if i < 0 {
			return false
		}
		i += off
		slashes := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			return true
		}
		off = i + 1
	}
}
