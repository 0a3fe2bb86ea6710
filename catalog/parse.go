package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ParseLimits bounds what a source may contain. Zero fields take defaults.
type ParseLimits struct {
	MaxBytes          int64 // default 10 MiB
	MaxDocuments      int   // default 10000
	MaxDepth          int   // default 64 nested mappings/sequences
	MaxAliasExpansion int   // default 10000 nodes reached through aliases, per document
}

// Defaults of ParseLimits.
const (
	DefaultMaxBytes          = 10 << 20
	DefaultMaxDocuments      = 10000
	DefaultMaxDepth          = 64
	DefaultMaxAliasExpansion = 10000
)

func (l ParseLimits) withDefaults() ParseLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultMaxDocuments
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAliasExpansion <= 0 {
		l.MaxAliasExpansion = DefaultMaxAliasExpansion
	}
	return l
}

// Document is one YAML document of a source file.
type Document struct {
	Index int              // 0-based index in the file (documents with content only)
	Line  int              // 1-based line where the document starts
	Value map[string]any   // decoded (JSON-compatible types only)
	Err   *ProcessingError // set when this document alone is broken (others still usable)

	// Source is the source key given to ParseDocuments (extra field).
	Source string

	root       *yaml.Node // the document's root node, for LineOf
	raw        []byte     // the document's bytes when decoded by fastDecode (root built on demand)
	lineOffset int        // added to node lines: the chunk's first line - 1
}

// MayHavePlaceholders reports whether the document may hold a $text, $json
// or $yaml substitution: false only for one decoded by the fast path (no
// escapes, so every key is spelled out) whose text has no '$' at all,
// which spares walking the whole decoded document for one.
func (d *Document) MayHavePlaceholders() bool {
	return d.raw == nil || bytes.IndexByte(d.raw, '$') >= 0
}

// FileError is a whole-source failure of ParseDocuments: too big, not UTF-8,
// an alias bomb, too many documents. It unwraps to an *InputError.
type FileError struct {
	Source string
	Line   int // 1-based, 0 when unknown
	Msg    string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg)
	}
	return e.Source + ": " + e.Msg
}

// Unwrap makes errors.As(err, **InputError) true: bad input, HTTP 400.
func (e *FileError) Unwrap() error { return &InputError{Msg: e.Error()} }

// ProcessingError returns the failure as a whole-file processing error (Doc -1).
func (e *FileError) ProcessingError() ProcessingError {
	return ProcessingError{Source: e.Source, Doc: -1, Line: e.Line, Name: "InputError", Message: e.Msg}
}

// FormatProcessingError renders one error as "source doc N line L field: message"
// for CLIs and logs.
func FormatProcessingError(e ProcessingError) string {
	var b bytes.Buffer
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Doc >= 0 {
		fmt.Fprintf(&b, " (document %d)", e.Doc)
	}
	if e.Entity != "" {
		fmt.Fprintf(&b, " %s", e.Entity)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

var errAliasBomb = errors.New("alias expansion limit exceeded")

// ParseDocuments splits and decodes a multi-document YAML (or JSON) source.
// source is the managed-by-location key, e.g. "file:/abs/catalog-info.yaml".
//
// The size and encoding are checked before any decoding. Documents are split
// at "---" lines (YAML forbids that marker inside content), so a syntax error
// breaks only its own document: it gets Document.Err and the others continue.
// Empty documents (only comments or nothing) are skipped, as Backstage does.
func ParseDocuments(source string, data []byte, lim ParseLimits) ([]Document, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &FileError{Source: source, Msg: fmt.Sprintf("source is %d bytes, larger than the limit of %d bytes", len(data), lim.MaxBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return nil, &FileError{Source: source, Line: 1 + bytes.Count(data[:off], []byte{'\n'}),
			Msg: fmt.Sprintf("source is not valid UTF-8: invalid byte 0x%02x at offset %d", data[off], off)}
	}
	var docs []Document
	for _, ch := range splitDocuments(data) {
		if err := depthGuard(ch.data, parserDepthGuard); err != nil {
			line, msg := yamlErrorLine(err)
			docs = append(docs, Document{Index: len(docs), Source: source, Line: ch.line, Err: &ProcessingError{
				Source: source, Doc: len(docs), Line: ch.line + line - 1, Name: "InputError", Message: msg}})
			continue
		}
		if bytes.HasPrefix(ch.data, []byte("%YAML 1.2")) {
			// yaml.v3 refuses the 1.2 directive although it parses 1.2 (JSON
			// included); Backstage's parser accepts it.
			ch.data = append([]byte("%YAML 1.1"), ch.data[len("%YAML 1.2"):]...)
		}
		// A chunk is one document unless it holds a "..." end marker; the
		// single-document path avoids the streaming decoder's overhead.
		var dec *yaml.Decoder
		if hasEndMarker(ch.data) {
			dec = yaml.NewDecoder(bytes.NewReader(ch.data))
		} else if v, line, ok := fastDecode(ch.data, lim.MaxDepth); ok {
			if len(docs) >= lim.MaxDocuments {
				return nil, &FileError{Source: source, Line: ch.line, Msg: fmt.Sprintf("source has more than %d documents", lim.MaxDocuments)}
			}
			docs = append(docs, Document{Index: len(docs), Source: source, Line: ch.line + line - 1, Value: v,
				raw: ch.data, lineOffset: ch.line - 1})
			continue
		}
		for first := true; ; first = false {
			var n yaml.Node
			var err error
			if dec != nil {
				err = dec.Decode(&n)
			} else if first {
				err = yaml.Unmarshal(ch.data, &n)
			} else {
				break
			}
			if errors.Is(err, io.EOF) {
				break
			}
			d := Document{Index: len(docs), Source: source, lineOffset: ch.line - 1, Line: ch.line}
			if len(docs) >= lim.MaxDocuments {
				return nil, &FileError{Source: source, Line: ch.line, Msg: fmt.Sprintf("source has more than %d documents", lim.MaxDocuments)}
			}
			if err != nil {
				line, msg := yamlErrorLine(err)
				if line > 0 {
					line += d.lineOffset
				} else {
					line = ch.line
				}
				d.Err = &ProcessingError{Source: source, Doc: d.Index, Line: line, Name: "InputError",
					Message: "YAML error: " + msg}
				docs = append(docs, d)
				break // the decoder cannot continue after a syntax error in this chunk
			}
			root := &n
			if root.Kind == yaml.DocumentNode {
				if len(root.Content) == 0 {
					continue
				}
				root = root.Content[0]
			}
			if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
				continue // empty document
			}
			d.root = root
			d.Line = root.Line + d.lineOffset
			c := converter{maxDepth: lim.MaxDepth, maxAlias: lim.MaxAliasExpansion, offset: d.lineOffset}
			v, cerr := c.convert(root, 0, false)
			if errors.Is(cerr, errAliasBomb) {
				return nil, &FileError{Source: source, Line: d.Line,
					Msg: fmt.Sprintf("document %d expands aliases to more than %d nodes (alias bomb?)", d.Index, lim.MaxAliasExpansion)}
			}
			if cerr != nil {
				var ce *convertError
				line, msg := d.Line, cerr.Error()
				if errors.As(cerr, &ce) {
					line, msg = ce.line, ce.msg
				}
				d.Err = &ProcessingError{Source: source, Doc: d.Index, Line: line, Name: "InputError", Message: msg}
			} else if m, ok := v.(map[string]any); ok {
				d.Value = m
			} else {
				d.Err = &ProcessingError{Source: source, Doc: d.Index, Line: d.Line, Name: "InputError",
					Message: fmt.Sprintf("expected an object at the root of the document, found %s", describeJSONType(v))}
			}
			docs = append(docs, d)
		}
	}
	return docs, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}

// parserDepthGuard bounds the nesting the YAML parser is allowed to see
// (it recurses per level); MaxDepth is the exact limit, applied afterwards.
const parserDepthGuard = 10000

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrorLine extracts the 1-based line of a yaml.v3 error message.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, msg
}

type chunk struct {
	data []byte
	line int // 1-based first line of data in the source
}

// splitDocuments cuts the source at lines starting with "---" followed by a
// space or end of line. A marker that follows only blank and comment lines
// starts the chunk (the empty prefix is dropped); one that follows directives
// ("%YAML", "%TAG") stays with them.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	start, startLine, line := 0, 1, 1
	hasContent, hasDirective := false, false
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if isDocMarker(l) {
			if hasContent {
				out = append(out, chunk{data: data[start:i], line: startLine})
			}
			if hasContent || !hasDirective {
				// A prefix of only blank and comment lines is dropped.
				start, startLine = i, line
			}
			hasDirective = false
			hasContent = true // a marker line may carry content ("--- {a: 1}")
			if len(bytes.TrimSpace(l[3:])) == 0 {
				hasContent = false
			}
		} else if !hasContent {
			t := bytes.TrimSpace(l)
			if len(t) > 0 && t[0] == '%' {
				hasDirective = true
			} else if len(t) > 0 && t[0] != '#' {
				hasContent = true
			}
		}
		i = next
		line++
	}
	if start < len(data) {
		out = append(out, chunk{data: data[start:], line: startLine})
	}
	return out
}

// hasEndMarker reports a line starting with the document end marker "...".
func hasEndMarker(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("..."))
		if j < 0 {
			return false
		}
		if i+j == 0 || data[i+j-1] == '\n' {
			return true
		}
		i += j + 3
	}
}

func isDocMarker(l []byte) bool {
	if len(l) < 3 || l[0] != '-' || l[1] != '-' || l[2] != '-' {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

func describeJSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
