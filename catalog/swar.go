package catalog

import (
	"encoding/binary"
	"unsafe"
)

// Eight bytes at a time: the tests the text scanners here (lower-casing,
// JSON escaping, the YAML checks) make on a word instead of a byte. Each
// answers for the word as a whole, exactly; which byte it was is left to
// the byte-by-byte code around it.

const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// word8 is the first eight bytes of s.
func word8(s string) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))
}

// hasByte is non-zero iff some byte of w is c.
func hasByte(w uint64, c byte) uint64 {
	v := w ^ uint64(c)*swarOnes
	return (v - swarOnes) &^ v & swarHigh
}

// hasLess is non-zero iff some byte of w is below n (n <= 0x80).
func hasLess(w uint64, n byte) uint64 {
	return (w - uint64(n)*swarOnes) &^ w & swarHigh
}

// upperASCII has the high bit of each byte of w in 'A'..'Z' set, for a w
// of ASCII bytes (b+0x3f reaches the high bit from 'A' up, b+0x25 from
// 'Z'+1 up, with no carries between bytes below 0x80).
func upperASCII(w uint64) uint64 {
	return (w + 0x3f*swarOnes) &^ (w + 0x25*swarOnes) & swarHigh
}
