package config

import (
	"fmt"
	"path/filepath"
	"time"
)

// DefaultPolicyReload is how often a replica re-reads the stored policy when
// permission.reloadInterval is not set.
const DefaultPolicyReload = 10 * time.Second

// Permission is the `permission` section (Backstage's permission.enabled,
// plus Portico's policy source):
//
//	permission:
//	  enabled: true                 # false (default): every request is allowed
//	  policyFile: ./policy.yaml     # bootstraps the stored policy; default: the built-in policy
//	  reloadInterval: 10s           # how often replicas pick up a policy changed elsewhere
//
// The policy file seeds the store once; afterwards admins change the policy
// through /api/permission/policies and the file is not read again while a
// stored policy exists (see package authz).
type Permission struct {
	Enabled    bool   `yaml:"enabled"`
	PolicyFile string `yaml:"policyFile"`
	// ReloadInterval is a Go duration ("10s"); 0 means DefaultPolicyReload.
	ReloadInterval time.Duration `yaml:"reloadInterval"`
}

var permissionKeys = ks(map[string]*keySet{"enabled": nil, "policyFile": nil, "reloadInterval": nil})

// finish resolves policyFile against the config's directory and checks values.
func (p *Permission) finish(dir string) error {
	if p.PolicyFile != "" && !filepath.IsAbs(p.PolicyFile) {
		p.PolicyFile = filepath.Join(dir, p.PolicyFile)
	}
	switch {
	case p.ReloadInterval < 0:
		return fmt.Errorf("permission.reloadInterval: must not be negative")
	case p.ReloadInterval == 0:
		p.ReloadInterval = DefaultPolicyReload
	case p.ReloadInterval < time.Second:
		return fmt.Errorf("permission.reloadInterval: %s is shorter than 1s", p.ReloadInterval)
	}
	return nil
}
