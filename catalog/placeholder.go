package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// SourceReader reads a target: an absolute file path or an http(s) URL.
type SourceReader interface {
	ReadSource(ctx context.Context, target string) ([]byte, error)
}

// PlaceholderError is one $text/$json/$yaml substitution that failed.
type PlaceholderError struct {
	Field  string // e.g. "spec.definition"
	Kind   string // "$text", "$json" or "$yaml"
	Target string // the resolved file path or URL
	Err    error
}

func (e *PlaceholderError) Error() string {
	return fmt.Sprintf("%s: %s placeholder could not read %s: %v", e.Field, e.Kind, e.Target, e.Err)
}

func (e *PlaceholderError) Unwrap() error { return e.Err }

// ResolvePlaceholders replaces every {"$text": "x"}, {"$json": "x"} and
// {"$yaml": "x"} object in v (in place; returns the new value) by the content
// read through r, with "x" resolved against base (the file path or URL of the
// document's source; "file:" and "url:" location keys are accepted too).
//
// As Backstage's PlaceholderProcessor, only an object with exactly one key
// that is one of those three, with a string value, is a placeholder; anything
// else (e.g. a JSON Schema "$ref") is left alone. Every placeholder is tried;
// the failures come back joined, each a *PlaceholderError naming the field
// path and the target.
func ResolvePlaceholders(ctx context.Context, v map[string]any, base string, r SourceReader) (map[string]any, error) {
	if !hasPlaceholder(v) {
		return v, nil // nearly every document: no walk that builds a path per field
	}
	p := placeholders{ctx: ctx, base: base, r: r}
	out := p.walk(v, "")
	m, _ := out.(map[string]any)
	return m, errors.Join(p.errs...)
}

type placeholders struct {
	ctx  context.Context
	base string
	r    SourceReader
	errs []error
}

func joinPath(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

// placeholderOf reports whether m is a substitution, {"$text"|"$json"|
// "$yaml": ref}, and which.
func placeholderOf(m map[string]any) (kind, ref string, ok bool) {
	if len(m) != 1 {
		return "", "", false
	}
	for k, v := range m {
		s, isStr := v.(string)
		if isStr && (k == "$text" || k == "$json" || k == "$yaml") {
			return k, s, true
		}
	}
	return "", "", false
}

// hasPlaceholder reports whether v holds a substitution walk would resolve.
func hasPlaceholder(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, _, ok := placeholderOf(x); ok {
			return true
		}
		for _, val := range x {
			if hasPlaceholder(val) {
				return true
			}
		}
	case []any:
		for _, val := range x {
			if hasPlaceholder(val) {
				return true
			}
		}
	}
	return false
}

func (p *placeholders) walk(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		if kind, ref, ok := placeholderOf(x); ok {
			return p.resolve(kind, ref, path, x)
		}
		for k, val := range x {
			x[k] = p.walk(val, joinPath(path, k))
		}
		return x
	case []any:
		for i, val := range x {
			x[i] = p.walk(val, joinPath(path, strconv.Itoa(i)))
		}
		return x
	}
	return v
}

func (p *placeholders) resolve(kind, ref, path string, orig map[string]any) any {
	target, err := ResolveTarget(p.base, ref)
	if err != nil {
		p.errs = append(p.errs, &PlaceholderError{Field: path, Kind: kind, Target: ref, Err: err})
		return orig
	}
	data, err := p.r.ReadSource(p.ctx, target)
	if err != nil {
		p.errs = append(p.errs, &PlaceholderError{Field: path, Kind: kind, Target: target, Err: err})
		return orig
	}
	switch kind {
	case "$text":
		return string(data)
	case "$json":
		var out any
		if err := json.Unmarshal(data, &out); err != nil {
			p.errs = append(p.errs, &PlaceholderError{Field: path, Kind: kind, Target: target, Err: fmt.Errorf("not valid JSON: %w", err)})
			return orig
		}
		return out
	default: // $yaml
		docs, err := ParseDocuments(target, data, ParseLimits{})
		if err == nil && len(docs) != 1 {
			err = fmt.Errorf("expected exactly one YAML document, found %d", len(docs))
		}
		if err == nil && docs[0].Err != nil {
			err = errors.New(FormatProcessingError(*docs[0].Err))
		}
		if err == nil && docs[0].Value == nil {
			err = errors.New("expected a YAML object")
		}
		if err != nil {
			p.errs = append(p.errs, &PlaceholderError{Field: path, Kind: kind, Target: target, Err: err})
			return orig
		}
		return docs[0].Value
	}
}

// ResolveTarget resolves a target relative to base: the file (path or URL)
// that contains the reference. A base ending in "/" is a directory. Absolute
// URLs and absolute paths are returned as they are (paths cleaned); a
// relative target under a URL base stays a URL, under a file base a path.
// Location keys ("file:/x", "url:https://…") are accepted for base and target.
func ResolveTarget(base, target string) (string, error) {
	base = stripLocationType(base)
	target = stripLocationType(target)
	if target == "" {
		return "", errors.New("empty target")
	}
	if isHTTPURL(target) {
		if _, err := url.Parse(target); err != nil {
			return "", fmt.Errorf("target %q: %w", target, err)
		}
		return target, nil
	}
	if strings.Contains(target, "://") {
		return "", fmt.Errorf("target %q: only http and https URLs and file paths are supported", target)
	}
	if isHTTPURL(base) {
		b, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("base %q: %w", base, err)
		}
		t, err := url.Parse(filepath.ToSlash(target))
		if err != nil {
			return "", fmt.Errorf("target %q: %w", target, err)
		}
		return b.ResolveReference(t).String(), nil
	}
	if filepath.IsAbs(target) {
		return filepath.Clean(target), nil
	}
	dir := base
	if !strings.HasSuffix(base, "/") {
		dir = filepath.Dir(base)
	}
	return filepath.Join(dir, target), nil
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func stripLocationType(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "url:"); ok {
		return strings.TrimSpace(rest)
	}
	if rest, ok := strings.CutPrefix(s, "file:"); ok && !strings.HasPrefix(rest, "//") {
		return strings.TrimSpace(rest)
	}
	return s
}

// PlaceholderErrors turns the error of ResolvePlaceholders on this document
// into processing errors with Source, Doc, Field and Line set.
func (d *Document) PlaceholderErrors(err error) []ProcessingError {
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]ProcessingError, 0, len(list))
	for _, e := range list {
		pe := ProcessingError{Name: "InputError", Message: e.Error()}
		var ph *PlaceholderError
		if errors.As(e, &ph) {
			pe.Field = ph.Field
		}
		out = append(out, pe)
	}
	return d.Annotate(out)
}
