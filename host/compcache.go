package host

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"

	extism "github.com/extism/go-sdk"

	"github.com/portico-dev/portico/host/services"
)

// compiledKey names everything extism.NewCompiledPlugin bakes into a compiled
// plugin: the module (by its verified digest), the ABI whose host functions
// are linked, the plugin name and grant those host functions are bound to,
// and the memory and HTTP limits of its runtime.
type compiledKey [sha256.Size]byte

func newCompiledKey(src *Source, grant services.Grant, lim Limits) compiledKey {
	h := sha256.New()
	h.Write([]byte(src.SHA256))
	g, _ := json.Marshal(grant) // a struct of strings and bools: cannot fail
	var n [8]byte
	for _, v := range []int{src.ABI, len(src.Manifest.Metadata.Name), len(g), lim.MemoryMiB, lim.HTTPResponseKiB} {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	h.Write([]byte(src.Manifest.Metadata.Name))
	h.Write(g)
	var k compiledKey
	h.Sum(k[:0])
	return k
}

// sharedCompiled is one compiled plugin and the number of loaded plugins
// using it. It is closed when the last one lets go.
type sharedCompiled struct {
	key   compiledKey
	cp    *extism.CompiledPlugin
	err   error
	ready chan struct{} // closed when cp/err are set
	refs  int
}

// compiledCache keeps the compiled plugins of one Host in memory while a
// loaded plugin uses them, so that loading the same module under the same
// binding again (a reload, host/registry's Replace) skips wazero's decode,
// validation, cache lookup and compile entirely. See RATIONALE.md "Cold load".
type compiledCache struct {
	mu sync.Mutex
	m  map[compiledKey]*sharedCompiled
}

// acquire returns the compiled plugin for key, building it with build when
// no loaded plugin holds one. hit reports that it was shared. Concurrent
// acquires of one key build once.
func (c *compiledCache) acquire(ctx context.Context, key compiledKey, build func() (*extism.CompiledPlugin, error)) (s *sharedCompiled, hit bool, err error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[compiledKey]*sharedCompiled{}
	}
	if s = c.m[key]; s != nil {
		s.refs++
		c.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			c.release(context.WithoutCancel(ctx), s)
			return nil, false, context.Cause(ctx)
		}
		if s.err != nil {
			c.release(ctx, s)
			return nil, false, s.err
		}
		return s, true, nil
	}
	s = &sharedCompiled{key: key, ready: make(chan struct{}), refs: 1}
	c.m[key] = s
	c.mu.Unlock()
	s.cp, s.err = build()
	if s.err != nil {
		c.mu.Lock()
		if c.m[key] == s {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
	close(s.ready)
	if s.err != nil {
		return nil, false, s.err
	}
	return s, false, nil
}

// release drops one reference; the last one closes the compiled plugin.
func (c *compiledCache) release(ctx context.Context, s *sharedCompiled) error {
	c.mu.Lock()
	s.refs--
	last := s.refs == 0
	if last && c.m[s.key] == s {
		delete(c.m, s.key)
	}
	c.mu.Unlock()
	if last && s.cp != nil {
		return s.cp.Close(ctx)
	}
	return nil
}

// len is the number of compiled plugins held (tests).
func (c *compiledCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
