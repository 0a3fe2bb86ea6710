// Package kit is the plugin-side toolkit shared by Portico's first-party
// plugins (pagerduty, grafana, kubernetes, ci): outbound HTTP with response
// headers and request bodies, a JSON decoder for vendor answers that is fast
// inside the Wasm sandbox (Decode), classification of vendor answers into
// card states, and small formatting helpers.
//
// It is plugin code: it builds for GOOS=wasip1 on top of pdk/go and the
// Extism Go PDK that pdk/go itself uses, and natively (for unit tests) with a
// replaceable transport. It must never import the host or any other Portico
// internals; the ABI (pdk/ABI.md) is the only contract with the portal.
package kit

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	pdk "github.com/portico-dev/portico/pdk/go"
)

// Response is one HTTP answer. Header keys are lower-case; they are empty
// when the host does not pass response headers to plugins.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Transport sends one request. In a wasip1 build it is Extism's
// http_request; natively it is nil until a test sets it.
var Transport func(method, url string, headers map[string]string, body []byte) Response

// Do sends one request through Transport.
func Do(method, url string, headers map[string]string, body []byte) Response {
	if Transport == nil {
		return Response{Status: 0}
	}
	return Transport(method, url, headers, body)
}

// NotApplicablePrefix starts the error message of a card or action call on
// an entity the plugin does not apply to (its annotations are absent). The
// host's card path hides such cards instead of showing an error.
const NotApplicablePrefix = "not_applicable: "

// NotApplicable is the error a card export returns for an entity without
// the plugin's annotations.
func NotApplicable(format string, args ...any) error {
	return errors.New(NotApplicablePrefix + fmt.Sprintf(format, args...))
}

// UpstreamError is a vendor answer the plugin cannot turn into a card of
// its own: rate limiting, server errors, malformed bodies. Its message starts
// with "unavailable: " and carries "retry-after=Ns" when the vendor said so,
// which the host's card cache uses to serve the last good card.
type UpstreamError struct {
	Vendor     string
	Status     int
	RetryAfter time.Duration
	Msg        string
}

func (e *UpstreamError) Error() string {
	s := "unavailable: " + e.Msg
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry-after=%ds)", int(e.RetryAfter/time.Second))
	}
	return s
}

// StatusError is a definite vendor answer that the card shows: 401/403
// (credentials) or 404 (the annotated object does not exist).
type StatusError struct {
	Vendor string
	Status int
	What   string // what was asked for, e.g. "service PXXXX"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d %s for %s", e.Vendor, e.Status, http.StatusText(e.Status), e.What)
}

// Auth reports whether the vendor refused the credentials.
func (e *StatusError) Auth() bool { return e.Status == 401 || e.Status == 403 }

// GetJSON fetches url and decodes a 2xx JSON body into v. Other answers
// become *StatusError (401, 403, 404) or *UpstreamError (everything else).
func GetJSON(vendor, what, url string, headers map[string]string, v any) (Response, error) {
	return SendJSON(vendor, what, "GET", url, headers, nil, v)
}

// SendJSON is GetJSON for any method with an optional body.
func SendJSON(vendor, what, method, url string, headers map[string]string, body []byte, v any) (Response, error) {
	r := Do(method, url, headers, body)
	switch {
	case r.Status >= 200 && r.Status < 300:
		if v != nil {
			if err := Decode(r.Body, v); err != nil {
				return r, &UpstreamError{Vendor: vendor, Status: r.Status,
					Msg: fmt.Sprintf("%s sent a malformed response for %s: %s", vendor, what, shortErr(err))}
			}
		}
		return r, nil
	case r.Status == 401 || r.Status == 403 || r.Status == 404:
		return r, &StatusError{Vendor: vendor, Status: r.Status, What: what}
	case r.Status == 0:
		return r, &UpstreamError{Vendor: vendor, Msg: vendor + " could not be reached"}
	}
	return r, &UpstreamError{Vendor: vendor, Status: r.Status, RetryAfter: RetryAfter(r.Header["retry-after"]),
		Msg: fmt.Sprintf("%s answered %d %s for %s", vendor, r.Status, http.StatusText(r.Status), what)}
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// RetryAfter parses a Retry-After value (seconds or an HTTP date); 0 when
// absent or unreadable.
func RetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// CredentialCard is the card shown when the vendor refused the token. It
// names the secret to fix, never its value.
func CredentialCard(title string, e *StatusError, secret string) pdk.Card {
	verb := "rejected the API token (401 Unauthorized)"
	if e.Status == 403 {
		verb = "refused access with this API token (403 Forbidden)"
	}
	return pdk.Card{
		Title:   title,
		Status:  &pdk.Status{Level: pdk.LevelError, Text: e.Vendor + " " + verb},
		Summary: fmt.Sprintf("The portal operator should check the plugin secret %q (and its scopes) for %s.", secret, e.What),
	}
}

// NotFoundCard is the card shown when the annotated object does not exist.
func NotFoundCard(title string, e *StatusError, annotation string) pdk.Card {
	return pdk.Card{
		Title:   title,
		Status:  &pdk.Status{Level: pdk.LevelWarning, Text: e.Vendor + " has no " + e.What},
		Summary: fmt.Sprintf("Check the %s annotation of this entity.", annotation),
	}
}

// MissingConfig is the error of a plugin whose operator config or secret is
// absent.
func MissingConfig(plugin, what string) error {
	return fmt.Errorf("plugin %s is not configured: %s", plugin, what)
}

// Age formats a duration coarsely: 45s, 13m, 2h13m, 3d4h.
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// Since is Age(now - t) for an RFC 3339 timestamp ("" when unreadable).
func Since(now time.Time, ts string) string {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return ""
	}
	return Age(now.Sub(t))
}

// Annotation returns an entity annotation, trimmed.
func Annotation(e pdk.Entity, key string) string {
	return strings.TrimSpace(e.Metadata.Annotations[key])
}

// Secret reads a granted secret the plugin cannot work without: an empty
// or absent one is a MissingConfig error of plugin, "the secret "name"
// <about> is not set" (about says what the secret is, or may be "").
func Secret(plugin, name, about string) (string, error) {
	v, _, err := pdk.Secret(name)
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", name, err)
	}
	if v == "" {
		if about != "" {
			about = " " + about
		}
		return "", MissingConfig(plugin, fmt.Sprintf("the secret %q%s is not set", name, about))
	}
	return v, nil
}

// TrimURL removes trailing slashes from a base URL.
func TrimURL(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }

// Truncate shortens s to n runes.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
