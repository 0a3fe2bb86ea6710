package host

// FastPath reports whether p's idle instances use the kernel fast path.
func FastPath(p *Plugin) bool {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	for _, in := range p.pool.idle {
		if in.k == nil {
			return false
		}
	}
	return len(p.pool.idle) > 0
}

// IdleInstances is the number of idle instances in p's pool.
func IdleInstances(p *Plugin) int { return p.pool.idleCount() }

// DisableCompiledShare makes every load of h compile anew (benchmarks
// compare it with the in-process compiled cache).
func DisableCompiledShare(h *Host) { h.noShare = true }

// CompiledHeld is the number of compiled plugins h keeps in memory.
func CompiledHeld(h *Host) int { return h.compiled.len() }
