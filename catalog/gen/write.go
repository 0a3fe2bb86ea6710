package gen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/portico-dev/portico/catalog"
)

// EntitiesPerFile is how many entities WriteDir puts in one file.
const EntitiesPerFile = 10_000

// RootFile is the Location WriteDir writes last; registering it ingests everything.
const RootFile = "all.yaml"

// Summary is what WriteDir wrote.
type Summary struct {
	Dir    string
	Root   string   // path of the root Location file
	Files  []string // entity files, relative to Dir, in the root's target order
	Counts Counts
	Bytes  int64 // total size of all files written, the root included
}

// WriteYAML writes the n entities of Organisation(n, seed) to w as one
// multi-document YAML stream and returns the number of bytes written.
func WriteYAML(w io.Writer, n int, seed int64) (int64, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var buf []byte
	var total int64
	first := true
	for e := range Organisation(n, seed) {
		buf = buf[:0]
		if !first {
			buf = append(buf, "---\n"...)
		}
		first = false
		buf = AppendYAML(buf, e)
		k, err := bw.Write(buf)
		total += int64(k)
		if err != nil {
			return total, fmt.Errorf("write entities: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return total, fmt.Errorf("write entities: %w", err)
	}
	return total, nil
}

// WriteDir writes the organisation of n entities for seed into dir (created
// if missing) as multi-document files of EntitiesPerFile entities named
// entities-00001.yaml, … and a root Location all.yaml whose relative targets
// list them. Existing files of the same names are replaced; nothing else in
// dir is touched. Same n and seed give byte-identical files.
func WriteDir(dir string, n int, seed int64) (*Summary, error) {
	if n < 0 {
		return nil, fmt.Errorf("generate: entity count %d is negative", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	s := &Summary{Dir: dir, Root: filepath.Join(dir, RootFile), Counts: CountsFor(n)}

	var (
		f     *os.File
		bw    *bufio.Writer
		inF   int
		buf   []byte
		fail  error
		close = func() error {
			if f == nil {
				return nil
			}
			err := bw.Flush()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			f = nil
			if err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			return nil
		}
	)
	for e := range Organisation(n, seed) {
		if f == nil || inF == EntitiesPerFile {
			if err := close(); err != nil {
				return nil, err
			}
			name := fmt.Sprintf("entities-%05d.yaml", len(s.Files)+1)
			var err error
			if f, err = os.Create(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("generate: %w", err)
			}
			bw = bufio.NewWriterSize(f, 256<<10)
			s.Files = append(s.Files, name)
			inF = 0
		}
		buf = buf[:0]
		if inF > 0 {
			buf = append(buf, "---\n"...)
		}
		buf = AppendYAML(buf, e)
		inF++
		if _, err := bw.Write(buf); err != nil {
			fail = fmt.Errorf("generate %s: %w", f.Name(), err)
			break
		}
		s.Bytes += int64(len(buf))
	}
	if err := close(); fail == nil {
		fail = err
	}
	if fail != nil {
		return nil, fail
	}

	targets := make([]string, len(s.Files))
	for i, name := range s.Files {
		targets[i] = "./" + name
	}
	root := &catalog.Entity{
		APIVersion: apiVersion,
		Kind:       "Location",
		Metadata: catalog.Metadata{
			Name:        "generated-" + newPlan(n, seed).company,
			Description: fmt.Sprintf("A generated organisation of %d entities (seed %d)", n, seed),
		},
		Spec: map[string]any{"type": "file", "targets": targets},
	}
	out := AppendYAML(nil, root)
	if err := os.WriteFile(s.Root, out, 0o644); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	s.Bytes += int64(len(out))
	return s, nil
}
