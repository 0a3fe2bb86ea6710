package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/portico-dev/portico/internal/upstreams"
)

// `portico dev upstreams`: the vendor API simulators of internal/upstreams
// (PagerDuty, Grafana, Kubernetes, GitHub, GitLab) for `make demo`, so the
// first-party plugins show live-looking cards without any account.

func init() {
	register(command{
		Path:    "dev upstreams",
		Summary: "serve simulated PagerDuty, Grafana, Kubernetes, GitHub and GitLab APIs for the demo",
		Run:     runDevUpstreams,
	})
}

func runDevUpstreams(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("portico dev upstreams", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:7070", "address to listen on")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: portico dev upstreams [--listen ADDR]")
		fmt.Fprintln(stderr, "\nServes the simulators and prints the plugin settings that point at them.")
		fmt.Fprintln(stderr, "Faults: POST /_faults {\"vendor\":\"pagerduty\",\"status\":429,\"retryAfter\":\"30\"}; DELETE /_faults clears.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "portico dev upstreams: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "portico dev upstreams: %v\n", err)
		return 1
	}
	sim := upstreams.New(upstreams.Options{})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprint(stdout, DemoPluginSettings(base))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "portico dev upstreams: %v\n", err)
			return 1
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return 0
}

// DemoPluginSettings is the configuration, secrets and grants that point the
// first-party plugins at simulators served at base (e.g. http://127.0.0.1:7070).
func DemoPluginSettings(base string) string {
	t := upstreams.DefaultTokens
	host, _, err := net.SplitHostPort(base[len("http://"):])
	if err != nil {
		host = "127.0.0.1"
	}
	return fmt.Sprintf(`# portico dev upstreams: simulators at %[1]s
# PagerDuty %[1]s/pagerduty  Grafana %[1]s/grafana  Kubernetes %[1]s/k8s/{prod-eu,prod-us}
# GitHub %[1]s/github  GitLab %[1]s/gitlab/api/v4
# Plugin settings (grant http: [%[2]s] — a loopback address needs the IP literal):
pagerduty:  {config: {baseURL: %[1]s/pagerduty, from: ops@acmestreaming.example}, secrets: {token: %[3]s}}
grafana:    {config: {url: %[1]s/grafana}, secrets: {token: %[4]s}}
kubernetes: {config: {clusters: [{name: prod-eu, url: %[1]s/k8s/prod-eu}, {name: prod-us, url: %[1]s/k8s/prod-us}]}, secrets: {token: %[5]s}}
ci:         {config: {github: {apiURL: %[1]s/github}, gitlab: {apiURL: %[1]s/gitlab/api/v4}}, secrets: {github-token: %[6]s, gitlab-token: %[7]s}}
`, base, host, t[upstreams.PagerDuty], t[upstreams.Grafana], t[upstreams.Kubernetes], t[upstreams.GitHub], t[upstreams.GitLab])
}
