package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portico-dev/portico/auth"
	"github.com/portico-dev/portico/catalog"
)

func init() {
	register(command{Path: "token create", Summary: "create an API token for a user (printed once)", Run: runTokenCreate})
	register(command{Path: "token list", Summary: "list API tokens (never their secrets)", Run: runTokenList})
	register(command{Path: "token revoke", Summary: "revoke an API token by ID", Run: runTokenRevoke})
}

const tokenUsage = `usage:
  portico token create --user REF [--ttl DURATION] [--scope PERM]... [--data DIR] [--config FILE]
  portico token list   [--data DIR] [--config FILE]
  portico token revoke ID [--data DIR] [--config FILE]

Tokens live in the portal's store (the embedded one in --data, or database.url),
hashed; create prints the token once. Send it as "Authorization: Bearer TOKEN".
--ttl is a Go duration or a number of days ("720h", "30d"; default 30d).
--scope limits the token to a permission (repeatable, e.g. catalog.entity.read);
without one, the token may do what its user may.
`

// DefaultTokenTTL is the lifetime of a token created without --ttl.
const DefaultTokenTTL = 30 * 24 * time.Hour

type tokenArgs struct {
	user, config, data string
	ttl                time.Duration
	scopes             []string
	pos                []string
}

func parseTokenArgs(args []string, allowed ...string) (*tokenArgs, error) {
	a := &tokenArgs{ttl: DefaultTokenTTL}
	ok := map[string]bool{"config": true, "data": true}
	for _, n := range allowed {
		ok[n] = true
	}
	pos, err := scanFlags(args, nil, func(name, val string) error {
		if !ok[name] {
			return fmt.Errorf("unknown flag --%s", name)
		}
		switch name {
		case "user":
			a.user = val
		case "ttl":
			d, err := parseTTL(val)
			if err != nil {
				return err
			}
			a.ttl = d
		case "scope":
			a.scopes = append(a.scopes, val)
		case "config":
			a.config = val
		case "data":
			a.data = val
		}
		return nil
	})
	a.pos = pos
	return a, err
}

// parseTTL accepts a Go duration or whole days ("30d").
func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--ttl %q: expected a positive duration such as 720h or 30d", s)
	}
	return d, nil
}

// withTokenStore opens the configured store (no ingestion) and runs fn on it.
func withTokenStore(ctx context.Context, a *tokenArgs, stderr io.Writer, fn func(catalog.Store) error) error {
	cfg, err := loadConfig(a.config)
	if err != nil {
		return err
	}
	st, _, err := openStore(ctx, cfg, dataDir(a.data, cfg), slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func tokenFail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "portico token %s: %v\n", cmd, err)
	return 1
}

func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := parseTokenArgs(args, "user", "ttl", "scope")
	if err == nil && (a.user == "" || len(a.pos) > 0) {
		err = errors.New("want --user REF and no other arguments")
	}
	if err != nil {
		fmt.Fprintf(stderr, "portico token create: %v\n\n%s", err, tokenUsage)
		return 2
	}
	err = withTokenStore(ctx, a, stderr, func(st catalog.Store) error {
		ref, err := auth.Resolver{Store: st}.UserExists(ctx, a.user)
		if err != nil {
			return err
		}
		secret, t, err := auth.Tokens{KV: st}.Create(ctx, ref, a.ttl, a.scopes)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		scopes := "all of the user's permissions"
		if len(t.Scopes) > 0 {
			scopes = strings.Join(t.Scopes, ", ")
		}
		fmt.Fprintf(stderr, "token %s for %s, expires %s, scopes: %s\nthis is the only time the token is shown; store it now\n",
			t.ID, t.UserRef, t.Expires.Format(time.RFC3339), scopes)
		return nil
	})
	if err != nil {
		return tokenFail(stderr, "create", err)
	}
	return 0
}

func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := parseTokenArgs(args)
	if err == nil && len(a.pos) > 0 {
		err = fmt.Errorf("unexpected argument %q", a.pos[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "portico token list: %v\n\n%s", err, tokenUsage)
		return 2
	}
	err = withTokenStore(ctx, a, stderr, func(st catalog.Store) error {
		ts, err := auth.Tokens{KV: st}.List(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tSTATUS\tCREATED\tEXPIRES\tSCOPES")
		for _, t := range ts {
			scopes := "-"
			if len(t.Scopes) > 0 {
				scopes = strings.Join(t.Scopes, ",")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserRef, t.Status(now),
				t.Created.Format(time.RFC3339), t.Expires.Format(time.RFC3339), scopes)
		}
		return w.Flush()
	})
	if err != nil {
		return tokenFail(stderr, "list", err)
	}
	return 0
}

func runTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := parseTokenArgs(args)
	if err == nil && len(a.pos) != 1 {
		err = errors.New("want exactly one token ID (see portico token list)")
	}
	if err != nil {
		fmt.Fprintf(stderr, "portico token revoke: %v\n\n%s", err, tokenUsage)
		return 2
	}
	id := a.pos[0]
	if tid, _, perr := auth.ParseToken(id); perr == nil {
		id = tid // a whole token names its ID too
	}
	err = withTokenStore(ctx, a, stderr, func(st catalog.Store) error {
		t, err := auth.Tokens{KV: st}.Revoke(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s of %s\n", t.ID, t.UserRef)
		return nil
	})
	if err != nil {
		return tokenFail(stderr, "revoke", err)
	}
	return 0
}
