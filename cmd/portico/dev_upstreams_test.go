package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/upstreams"
)

func TestDevUpstreamsServesAndStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runDevUpstreams(ctx, []string{"--listen", addr}, pw, &stderr); pw.Close() }()
	first, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.Contains(first, "http://"+addr) {
		t.Fatalf("first line %q: %v (stderr %s)", first, err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	req, _ := http.NewRequest("GET", "http://"+addr+"/pagerduty/services/PNC0AQK", nil)
	req.Header.Set("Authorization", "Token token="+upstreams.DefaultTokens[upstreams.PagerDuty])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"License Service"`) {
		t.Fatalf("GET service: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop on cancel")
	}
}

func TestDevUpstreamsBadArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runDevUpstreams(context.Background(), []string{"extra"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := runDevUpstreams(context.Background(), []string{"--listen", "256.0.0.1:1"}, &out, &errb); code != 1 {
		t.Fatalf("bad address: exit %d", code)
	}
}
