package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Reader reads the sources one location target names.
type Reader interface {
	// Read returns one Source for a plain path or URL and one per match for a
	// glob. A missing target is a *catalog.NotFoundError; a source too big is
	// a *catalog.InputError. A glob member that cannot be read is returned with
	// its Err set, so the other members still count.
	Read(ctx context.Context, target string) ([]Source, error)
}

// Source is one file or URL read.
type Source struct {
	// Key is the managed-by-location value: "file:/abs/path" or "url:https://…".
	Key string
	// Base is what relative targets and placeholders resolve against: the
	// absolute path or the URL.
	Base string
	Data []byte
	Err  error
}

// Default limits of the built-in readers.
const (
	DefaultMaxFileBytes = 32 << 20
	DefaultHTTPTimeout  = 30 * time.Second
)

// FileKey and URLKey build source keys.
func FileKey(path string) string { return "file:" + path }

// URLKey is the source key of a URL.
func URLKey(u string) string { return "url:" + u }

// FileReader reads `file` locations: an absolute path or a glob (*, ?, [...]
// and ** for any number of directories).
type FileReader struct {
	MaxBytes int64 // 0 = DefaultMaxFileBytes
}

var _ Reader = (*FileReader)(nil)

// Read implements Reader.
func (r *FileReader) Read(ctx context.Context, target string) ([]Source, error) {
	path := strings.TrimPrefix(target, "file:")
	if !filepath.IsAbs(path) {
		return nil, catalog.Inputf("file location %q is not an absolute path", target)
	}
	path = filepath.Clean(path)
	if !hasGlobMeta(path) {
		data, err := r.readFile(path)
		if err != nil {
			return nil, err
		}
		return []Source{{Key: FileKey(path), Base: path, Data: data}}, nil
	}
	matches, err := globFiles(ctx, path)
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, catalog.NotFoundf("file location %s matched no files", path)
	}
	out := make([]Source, 0, len(matches))
	for _, m := range matches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := r.readFile(m)
		out = append(out, Source{Key: FileKey(m), Base: m, Data: data, Err: err})
	}
	return out, nil
}

func (r *FileReader) readFile(path string) ([]byte, error) {
	max := r.MaxBytes
	if max <= 0 {
		max = DefaultMaxFileBytes
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, catalog.NotFoundf("file %s does not exist", path)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, catalog.Inputf("file location %s is a directory; name a file or a glob such as %s", path, filepath.Join(path, "**", "catalog-info.yaml"))
	}
	if st.Size() > max {
		return nil, sizeError(path, st.Size(), max)
	}
	// A buffer of the stat'ed size (and room for ReadFrom to see EOF) reads
	// the file without the ~20 grow-and-copy steps io.ReadAll takes for a
	// file of a few MB; max+1 bytes at most, to see a file that grew past max.
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	data := buf.Bytes()
	if int64(len(data)) > max {
		return nil, sizeError(path, int64(len(data)), max)
	}
	return data, nil
}

func sizeError(what string, size, max int64) error {
	return catalog.Inputf("%s is too large: %d bytes, more than the limit of %d bytes", what, size, max)
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// globFiles expands pattern (absolute) to regular files, sorted. It walks from
// the longest directory prefix without metacharacters.
func globFiles(ctx context.Context, pattern string) ([]string, error) {
	re, err := globRegexp(filepath.ToSlash(pattern), false)
	if err != nil {
		return nil, catalog.Inputf("file location %s: bad glob: %v", pattern, err)
	}
	root := pattern
	for hasGlobMeta(root) {
		root = filepath.Dir(root)
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil // an unreadable directory is skipped, as globbing does
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.Type().IsRegular() && re.MatchString(filepath.ToSlash(p)) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("glob %s: %w", pattern, err)
	}
	sort.Strings(out)
	return out, nil
}

// globRegexp turns a slash-separated glob into an anchored regexp:
// "**/" is any number of directories, "*" and "?" stay within one.
func globRegexp(g string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c == '*' && strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case c == '*' && strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return nil, errors.New("unclosed [")
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// URLReader reads `url` locations over http and https.
type URLReader struct {
	Client   *http.Client  // nil = a client with Timeout
	Timeout  time.Duration // per request; 0 = DefaultHTTPTimeout
	MaxBytes int64         // 0 = DefaultMaxFileBytes
}

var _ Reader = (*URLReader)(nil)

// Read implements Reader. A non-2xx answer is an error naming the status and URL.
func (r *URLReader) Read(ctx context.Context, target string) ([]Source, error) {
	target = strings.TrimPrefix(target, "url:")
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, catalog.Inputf("url location %q is not an http or https URL", target)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", target, err)
	}
	req.Header.Set("Accept", "application/yaml, application/json, text/plain, */*")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("read %s: no answer within %s", target, timeout)
		}
		return nil, fmt.Errorf("read %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, catalog.NotFoundf("GET %s returned %s", target, resp.Status)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("GET %s returned %s", target, resp.Status)
	}
	max := r.MaxBytes
	if max <= 0 {
		max = DefaultMaxFileBytes
	}
	if resp.ContentLength > max {
		return nil, sizeError(target, resp.ContentLength, max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", target, err)
	}
	if int64(len(data)) > max {
		return nil, sizeError(target, int64(len(data)), max)
	}
	return []Source{{Key: URLKey(target), Base: target, Data: data}}, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// placeholderReader serves $text/$json/$yaml reads with the engine's readers.
// A document read from a URL may not read local files.
type placeholderReader struct {
	readers map[string]Reader
	fromURL bool
}

var _ catalog.SourceReader = placeholderReader{}

// ReadSource implements catalog.SourceReader.
func (p placeholderReader) ReadSource(ctx context.Context, target string) ([]byte, error) {
	typ := "file"
	switch {
	case strings.HasPrefix(target, "url:"):
		typ, target = "url", strings.TrimPrefix(target, "url:")
	case isURL(target):
		typ = "url"
	case strings.HasPrefix(target, "file:"):
		target = strings.TrimPrefix(target, "file:")
	}
	if typ == "file" {
		if p.fromURL {
			return nil, &catalog.NotAllowedError{Msg: fmt.Sprintf("a document read from a URL may not read the local file %s", target)}
		}
		if hasGlobMeta(target) {
			return nil, catalog.Inputf("placeholder target %s is a glob; name one file", target)
		}
	}
	r := p.readers[typ]
	if r == nil {
		return nil, catalog.Inputf("no reader for %s targets", typ)
	}
	srcs, err := r.Read(ctx, target)
	if err != nil {
		return nil, err
	}
	if len(srcs) != 1 {
		return nil, catalog.Inputf("placeholder target %s names %d sources; name one", target, len(srcs))
	}
	return srcs[0].Data, srcs[0].Err
}
