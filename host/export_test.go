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
