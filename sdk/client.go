package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls one Portico server. It is safe for concurrent use.
type Client struct {
	base  string // ends without a slash
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends `Authorization: Bearer <token>` with every request.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient uses hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// New returns a client for the server at baseURL (e.g. http://127.0.0.1:7007).
// A baseURL already ending in /api/catalog is accepted too.
func New(baseURL string, opts ...Option) *Client {
	base := strings.TrimSuffix(baseURL, "/")
	base = strings.TrimSuffix(base, "/api/catalog")
	c := &Client{base: base, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// catalogURL builds <base>/api/catalog<path>?<query>.
func (c *Client) catalogURL(path string, q url.Values) string {
	u := c.base + "/api/catalog" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do sends one request. body, when non-nil, is sent as JSON. It returns the
// response for statuses in want, else the decoded *Error.
func (c *Client) do(ctx context.Context, method, u string, body any, want ...int) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("sdk: encode %s %s: %w", method, u, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("sdk: %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sdk: %s %s: %w", method, u, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	return nil, errorFromResponse(method, u, resp)
}

// doJSON sends a request and decodes a JSON response into out (when non-nil).
func (c *Client) doJSON(ctx context.Context, method, u string, body, out any, want ...int) error {
	if len(want) == 0 {
		want = []int{http.StatusOK}
	}
	resp, err := c.do(ctx, method, u, body, want...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("sdk: decode %s %s: %w", method, u, err)
	}
	return nil
}
