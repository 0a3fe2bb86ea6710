package catalogapi

// SetStreamChunk makes GET /entities stream in chunks of n; the returned
// function restores the default. Tests only; not safe with parallel tests.
func SetStreamChunk(n int) (restore func()) {
	old := streamChunk
	streamChunk = n
	return func() { streamChunk = old }
}
