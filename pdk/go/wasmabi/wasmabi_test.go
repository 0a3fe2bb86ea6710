package wasmabi

import "testing"

func TestStampRoundTrip(t *testing.T) {
	empty := []byte("\x00asm\x01\x00\x00\x00")
	if _, found, err := Read(empty); err != nil || found {
		t.Fatalf("empty: %v %v", found, err)
	}
	s, err := Stamp(empty, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, found, err := Read(s); err != nil || !found || v != 1 {
		t.Fatalf("read back: %d %v %v", v, found, err)
	}
	again, err := Stamp(s, 1)
	if err != nil || len(again) != len(s) {
		t.Fatalf("not idempotent: %d vs %d, %v", len(again), len(s), err)
	}
	if _, err := Stamp(s, 2); err == nil {
		t.Fatal("restamping with another version accepted")
	}
	if _, err := Stamp([]byte("junk"), 1); err == nil {
		t.Fatal("junk accepted")
	}
}
