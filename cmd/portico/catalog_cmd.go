package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/sdk"
)

func init() {
	register(command{Path: "catalog validate", Summary: "check catalog files; print every error as FILE:LINE: doc N: field: message", Run: runValidate})
	register(command{Path: "catalog import", Summary: "register a file, glob or URL location and ingest it", Run: runImport})
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (`import PATH --data DIR`).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico catalog validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file: its catalog.kinds make custom kinds valid")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: portico catalog validate [--config FILE] FILE...\n\n"+
			"Checks every document of each file against Backstage's rules and the kinds\n"+
			"(custom kinds from --config). Prints FILE:LINE: doc N: field: message per\n"+
			"error (N is the 0-based document index) and exits 1 if there is any.\n"+
			"Placeholders ($text, $json, $yaml) and Location targets are not followed.")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "portico catalog validate:", err)
		return 2
	}
	kinds, err := buildKinds(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "portico catalog validate:", err)
		return 2
	}
	nerr, ndocs := 0, 0
	for _, f := range files {
		errs, n := validateFile(f, kinds)
		ndocs += n
		for _, pe := range errs {
			fmt.Fprintln(stdout, formatValidateError(f, pe))
		}
		nerr += len(errs)
	}
	if nerr > 0 {
		fmt.Fprintf(stderr, "%d error(s) in %d file(s)\n", nerr, len(files))
		return 1
	}
	fmt.Fprintf(stderr, "%d file(s), %d document(s): no errors\n", len(files), ndocs)
	return 0
}

// validateFile returns every error of one file and its document count.
func validateFile(path string, kinds *catalog.Kinds) ([]catalog.ProcessingError, int) {
	whole := func(name, msg string) []catalog.ProcessingError {
		return []catalog.ProcessingError{{Source: path, Doc: -1, Name: name, Message: msg}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return whole("InputError", err.Error()), 0
	}
	srcs, err := (&ingest.FileReader{}).Read(context.Background(), abs)
	if err == nil && len(srcs) == 1 && srcs[0].Err != nil {
		err = srcs[0].Err
	}
	if err != nil {
		return whole("InputError", err.Error()), 0
	}
	var out []catalog.ProcessingError
	ndocs := 0
	for _, s := range srcs {
		docs, err := catalog.ParseDocuments(path, s.Data, catalog.ParseLimits{})
		if err != nil {
			var fe *catalog.FileError
			if errors.As(err, &fe) {
				out = append(out, fe.ProcessingError())
			} else {
				out = append(out, whole("InputError", err.Error())...)
			}
			continue
		}
		ndocs += len(docs)
		for i := range docs {
			d := &docs[i]
			ent, errs := kinds.CheckDocument(d)
			if len(errs) == 0 && ent != nil {
				_, rerrs := catalog.EmitRelations(ent)
				errs = d.Annotate(rerrs)
			}
			out = append(out, errs...)
		}
	}
	return out, ndocs
}

// formatValidateError renders FILE:LINE: doc N: field: message.
func formatValidateError(file string, pe catalog.ProcessingError) string {
	var b strings.Builder
	b.WriteString(file)
	if pe.Line > 0 {
		fmt.Fprintf(&b, ":%d", pe.Line)
	}
	b.WriteString(": ")
	if pe.Doc >= 0 {
		fmt.Fprintf(&b, "doc %d: ", pe.Doc)
	}
	if pe.Field != "" {
		b.WriteString(pe.Field + ": ")
	}
	b.WriteString(pe.Message)
	return b.String()
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico catalog import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory of the embedded store (default "+"./portico-data"+")")
	configPath := fs.String("config", "", "config file (database.url, catalog rules and kinds)")
	server := fs.String("server", "", "register through a running server's API instead, e.g. http://127.0.0.1:7007")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: portico catalog import PATH|GLOB|URL [--data DIR] [--config FILE] [--server URL]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	typ, target := "url", pos[0]
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		typ = "file"
		if target, err = filepath.Abs(strings.TrimPrefix(target, "file:")); err != nil {
			fmt.Fprintln(stderr, "portico catalog import:", err)
			return 2
		}
	}
	if *server != "" {
		return importRemote(ctx, *server, typ, target, stdout, stderr)
	}
	return importLocal(ctx, *configPath, *data, typ, target, stdout, stderr)
}

func importLocal(ctx context.Context, configPath, data, typ, target string, stdout, stderr io.Writer) int {
	log := newLogger(io.Discard)
	bar := newProgressBar(stderr)
	rt, err := openRuntime(ctx, configPath, data, log, func(o *ingest.Options) {
		o.Progress = bar.update
		o.ProcessTimeout = 24 * time.Hour // the operator waits on purpose
	})
	if err != nil {
		fmt.Fprintln(stderr, "portico catalog import:", err)
		return 1
	}
	defer rt.store.Close()
	loc, err := rt.store.AddLocation(ctx, catalog.Location{Type: typ, Target: target, Origin: ingest.OriginAPI,
		EntityRef: catalog.GeneratedLocationRef(typ, target), NextRefresh: time.Now()})
	var ce *catalog.ConflictError
	if errors.As(err, &ce) {
		loc, err = findLocation(ctx, rt.store, typ, target)
		if err == nil {
			fmt.Fprintf(stderr, "%s:%s is already registered; refreshing it\n", typ, target)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "portico catalog import:", err)
		return 1
	}
	rep, err := rt.engine.ProcessLocation(ctx, loc)
	bar.finish()
	if err != nil {
		fmt.Fprintln(stderr, "portico catalog import:", err)
		return 1
	}
	r := rep.Result
	fmt.Fprintf(stdout, "imported %s:%s into %s (location %s): %d entities from %d source(s); added %d, updated %d, unchanged %d, orphaned %d, deleted %d; %d error(s)\n",
		typ, target, rt.data, loc.ID, rep.Entities, rep.Sources, r.Added, r.Updated, r.Unchanged, r.Orphaned, r.Deleted, len(rep.Errors))
	for i, pe := range rep.Errors {
		if i == 50 {
			fmt.Fprintf(stderr, "… and %d more\n", len(rep.Errors)-50)
			break
		}
		fmt.Fprintln(stderr, catalog.FormatProcessingError(pe))
	}
	return 0
}

func findLocation(ctx context.Context, st catalog.Store, typ, target string) (catalog.Location, error) {
	locs, err := st.Locations(ctx)
	if err != nil {
		return catalog.Location{}, err
	}
	for _, l := range locs {
		if l.Type == typ && l.Target == target {
			return l, nil
		}
	}
	return catalog.Location{}, catalog.NotFoundf("location %s:%s not found", typ, target)
}

// importRemote registers through the SDK (POST /api/catalog/locations); an
// existing location is refreshed (POST /api/catalog/refresh) instead.
func importRemote(ctx context.Context, server, typ, target string, stdout, stderr io.Writer) int {
	opts := []sdk.Option{sdk.WithHTTPClient(&http.Client{Timeout: 10 * time.Minute})}
	if tok := os.Getenv("PORTICO_TOKEN"); tok != "" {
		opts = append(opts, sdk.WithToken(tok))
	}
	client := sdk.New(strings.TrimRight(server, "/")+"/api/catalog", opts...)
	res, err := client.AddLocation(ctx, sdk.AddLocationRequest{Type: typ, Target: target})
	if err == nil {
		fmt.Fprintf(stdout, "registered %s:%s on %s (location %s)\n", typ, target, server, res.Location.ID)
		return 0
	}
	if errors.Is(err, sdk.ErrConflict) {
		if err = client.RefreshEntity(ctx, catalog.GeneratedLocationRef(typ, target)); err == nil {
			fmt.Fprintf(stdout, "%s:%s was already registered on %s; refreshed it\n", typ, target, server)
			return 0
		}
	}
	fmt.Fprintln(stderr, "portico catalog import:", err)
	return 1
}

// progressBar shows ingest progress for large imports (small ones finish
// before a bar helps).
type progressBar struct {
	*progress
	minTotal int
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{progress: newProgress(w), minTotal: 1000}
}

func (b *progressBar) update(p ingest.Progress) {
	if p.Documents < b.minTotal {
		return
	}
	// Sources are processed one after the other and Location entities add
	// targets as they are read, so the bar counts sources; entities and the
	// rate are shown beside it.
	pct := 100
	if p.SourcesKnown > 0 && p.Phase == "processing" {
		pct = p.SourcesDone * 100 / p.SourcesKnown
	}
	b.draw(pct, p.Phase != "processing", func() string {
		return fmt.Sprintf("%-10s %s %d/%d files  %d entities  %.0f/s", p.Phase, bar(pct),
			p.SourcesDone, p.SourcesKnown, p.Processed, b.rate(p.Processed))
	})
}
