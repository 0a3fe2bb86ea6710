//go:build !unix

package registry

import "sync"

var dataMu sync.Mutex

// lockData serialises installers within the process (no flock here).
func lockData(string) (func(), error) {
	dataMu.Lock()
	return dataMu.Unlock, nil
}
