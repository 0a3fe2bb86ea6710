//go:build wasip1

package kit

import extism "github.com/extism/go-pdk"

// Extism's kernel HTTP functions, called directly: pdk/go's HTTPGet has
// neither request bodies nor response headers, and the Extism Go PDK's Send
// encodes the request and decodes the response headers with encoding/json,
// which costs about a millisecond per request in a plugin (see Decode).

//go:wasmimport extism:host/env http_request
func extismHTTPRequest(request, body uint64) uint64

//go:wasmimport extism:host/env http_status_code
func extismHTTPStatusCode() int32

//go:wasmimport extism:host/env http_headers
func extismHTTPHeaders() uint64

func init() {
	Transport = func(method, url string, headers map[string]string, body []byte) Response {
		req := extism.AllocateBytes(requestMeta(method, url, headers))
		defer req.Free()
		var data uint64
		if len(body) > 0 {
			mem := extism.AllocateBytes(body)
			defer mem.Free()
			data = mem.Offset()
		}
		off := extismHTTPRequest(req.Offset(), data)
		res := Response{Status: int(extismHTTPStatusCode()), Header: map[string]string{}}
		if h := extismHTTPHeaders(); h != 0 {
			mem := extism.FindMemory(h)
			_ = Decode(mem.ReadBytes(), &res.Header) // unreadable headers: none
			mem.Free()
		}
		if off != 0 {
			mem := extism.FindMemory(off)
			res.Body = mem.ReadBytes()
			mem.Free()
		}
		return res
	}
}
