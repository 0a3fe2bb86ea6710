//go:build wasip1

package kit

import extism "github.com/extism/go-pdk"

var methods = map[string]extism.HTTPMethod{
	"GET": extism.MethodGet, "POST": extism.MethodPost, "PUT": extism.MethodPut,
	"PATCH": extism.MethodPatch, "DELETE": extism.MethodDelete, "HEAD": extism.MethodHead,
}

// pdk/go's HTTPGet has neither request bodies nor response headers, so the
// kit speaks to Extism's http_request itself (the same kernel call).
func init() {
	Transport = func(method, url string, headers map[string]string, body []byte) Response {
		req := extism.NewHTTPRequest(methods[method], url)
		for k, v := range headers {
			req.SetHeader(k, v)
		}
		if len(body) > 0 {
			req.SetBody(body)
		}
		res := req.Send()
		return Response{Status: int(res.Status()), Header: res.Headers(), Body: res.Body()}
	}
}
