package registry

import "testing"

func TestVersionCompare(t *testing.T) {
	order := []string{"0.1.0-alpha", "0.1.0-alpha.1", "0.1.0-alpha.beta", "0.1.0-beta.2", "0.1.0-beta.11", "0.1.0", "0.2.0", "1.0.0", "1.2.0", "1.10.0", "v2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		a, err := ParseVersion(order[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseVersion(order[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
			t.Errorf("%s < %s does not hold", a, b)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "a.b.c", "1.2.3-"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRange(t *testing.T) {
	for _, c := range []struct {
		rng string
		in  []string
		out []string
	}{
		{"", []string{"0.0.1", "9.9.9"}, nil},
		{">=0.1.0 <1.0.0", []string{"0.1.0", "0.1.0-dev", "0.9.9"}, []string{"0.0.9", "1.0.0"}},
		{"^1.2", []string{"1.2.0", "1.9.0"}, []string{"1.1.9", "2.0.0"}},
		{"^0.3", []string{"0.3.0", "0.3.9"}, []string{"0.4.0", "0.2.0"}},
		{"~1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.3.0", "1.2.2"}},
		{"1.2", []string{"1.2.0", "1.2.7"}, []string{"1.3.0"}},
		{"=1.2.3 || >=2", []string{"1.2.3", "2.5.0"}, []string{"1.2.4"}},
		{"<=1.0.0", []string{"1.0.0", "0.5.0"}, []string{"1.0.1"}},
	} {
		r, err := ParseRange(c.rng)
		if err != nil {
			t.Fatalf("%q: %v", c.rng, err)
		}
		for _, v := range c.in {
			if !r.Contains(mustVersion(t, v)) {
				t.Errorf("%q should contain %s", c.rng, v)
			}
		}
		for _, v := range c.out {
			if r.Contains(mustVersion(t, v)) {
				t.Errorf("%q should not contain %s", c.rng, v)
			}
		}
	}
	for _, bad := range []string{">=x", "1.2.3 ||", ">=1.0.0 <two"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func mustVersion(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseRef(t *testing.T) {
	for in, want := range map[string]Ref{
		"localhost:5000/plugins/pd:1.2.0":     {Repo: "localhost:5000/plugins/pd", Tag: "1.2.0"},
		"ghcr.io/acme/pd":                     {Repo: "ghcr.io/acme/pd"},
		"oci:bin/plugins-oci/pd:1.0.0":        {Layout: true, Repo: "bin/plugins-oci/pd", Tag: "1.0.0"},
		"oci:/abs/path":                       {Layout: true, Repo: "/abs/path"},
		"oci:./x@sha256:" + zeros:             {Layout: true, Repo: "./x", Digest: "sha256:" + zeros},
		"reg.example/acme/pd@sha256:" + zeros: {Repo: "reg.example/acme/pd", Digest: "sha256:" + zeros},
	} {
		got, err := ParseRef(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got != want {
			t.Errorf("%s: got %+v want %+v", in, got, want)
		}
		if got.String() != in {
			t.Errorf("%s: String() = %s", in, got.String())
		}
	}
	for _, bad := range []string{"", "oci:", "oci:x:", "no-host", "oci:x@sha256:abc", "reg.example/UPPER:1"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
