package kit

// requestMeta is Extism's HTTP request document {"url","method","headers"},
// written without encoding/json (see http_wasm.go).
func requestMeta(method, url string, headers map[string]string) []byte {
	b := make([]byte, 0, 64+len(url)+64*len(headers))
	b = append(b, `{"url":`...)
	b = appendJSONString(b, url)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"headers":{`...)
	first := true
	for k, v := range headers {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v)
	}
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
