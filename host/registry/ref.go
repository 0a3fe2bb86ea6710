package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Ref names a plugin artifact: a registry reference (host[:port]/repo[:tag|@digest])
// or an OCI image layout on disk (oci:PATH[:TAG|@digest]).
type Ref struct {
	// Layout is true for oci:PATH refs; Repo is then the layout's path.
	Layout bool
	// Repo is host/repository, or the layout directory.
	Repo string
	// Tag and Digest: at most one is set; neither means "pick the highest
	// compatible semver tag".
	Tag    string
	Digest string
}

// ParseRef parses a REF as the CLI and the admin API take it.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, errors.New("empty plugin reference")
	}
	if rest, ok := strings.CutPrefix(s, "oci:"); ok {
		r := Ref{Layout: true}
		if path, dg, ok := strings.Cut(rest, "@"); ok {
			r.Repo, r.Digest = path, dg
		} else if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.ContainsRune(rest[i:], '/') {
			r.Repo, r.Tag = rest[:i], rest[i+1:]
		} else {
			r.Repo = rest
		}
		if r.Repo == "" {
			return Ref{}, fmt.Errorf("plugin reference %q: oci: needs a layout path (oci:PATH:TAG)", s)
		}
		if r.Digest != "" {
			if _, err := digest.Parse(r.Digest); err != nil {
				return Ref{}, fmt.Errorf("plugin reference %q: %w", s, err)
			}
		}
		if r.Tag == "" && strings.HasSuffix(rest, ":") {
			return Ref{}, fmt.Errorf("plugin reference %q: empty tag", s)
		}
		return r, nil
	}
	pr, err := registry.ParseReference(s)
	if err != nil {
		return Ref{}, fmt.Errorf("plugin reference %q: want HOST/REPO[:TAG|@sha256:…] or oci:PATH[:TAG]: %w", s, err)
	}
	r := Ref{Repo: pr.Registry + "/" + pr.Repository}
	if pr.Reference != "" {
		if _, err := pr.Digest(); err == nil {
			r.Digest = pr.Reference
		} else {
			r.Tag = pr.Reference
		}
	}
	return r, nil
}

// Reference is the tag or digest part ("" when neither).
func (r Ref) Reference() string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

// WithTag returns r naming tag.
func (r Ref) WithTag(tag string) Ref { r.Tag, r.Digest = tag, ""; return r }

// WithDigest returns r naming digest.
func (r Ref) WithDigest(d string) Ref { r.Digest, r.Tag = d, ""; return r }

func (r Ref) String() string {
	s := r.Repo
	if r.Layout {
		s = "oci:" + s
	}
	switch {
	case r.Digest != "":
		return s + "@" + r.Digest
	case r.Tag != "":
		return s + ":" + r.Tag
	}
	return s
}

// Remote says how to reach registries.
type Remote struct {
	// PlainHTTP talks HTTP instead of HTTPS.
	PlainHTTP bool
	// Username and Password for basic/token auth; empty = the Docker
	// credential store (~/.docker/config.json), if any.
	Username, Password string
	// Client is the HTTP client (nil = http.DefaultClient).
	Client *http.Client
}

// target is what pull and publish need of a repository or layout.
type target interface {
	oras.Target
	registry.TagLister
}

// open returns the repository or layout r names. A layout is created only
// when create is set (publish); install needs an existing one.
func (rm Remote) open(r Ref, create bool) (target, error) {
	if r.Layout {
		if !create {
			if _, err := os.Stat(r.Repo); err != nil {
				return nil, fmt.Errorf("OCI layout %s: %w", r.Repo, err)
			}
		}
		st, err := oci.New(r.Repo)
		if err != nil {
			return nil, fmt.Errorf("OCI layout %s: %w", r.Repo, err)
		}
		return st, nil
	}
	repo, err := remote.NewRepository(r.Repo)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.Repo, err)
	}
	repo.PlainHTTP = rm.PlainHTTP
	client := &auth.Client{Client: rm.Client, Cache: auth.NewCache()}
	if client.Client == nil {
		client.Client = http.DefaultClient
	}
	host := repo.Reference.Registry
	switch {
	case rm.Username != "" || rm.Password != "":
		client.Credential = auth.StaticCredential(host, auth.Credential{Username: rm.Username, Password: rm.Password})
	default:
		if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
			client.Credential = credentials.Credential(store)
		}
	}
	repo.Client = client
	return repo, nil
}

// listTags returns every tag of the target.
func listTags(ctx context.Context, t target) ([]string, error) {
	var all []string
	err := t.Tags(ctx, "", func(tags []string) error {
		all = append(all, tags...)
		return nil
	})
	return all, err
}
