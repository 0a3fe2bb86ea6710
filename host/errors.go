package host

import (
	"errors"
	"fmt"
)

// Sentinel kinds of call failure; test with errors.Is.
var (
	// ErrTimeout: the call ran past its deadline; its instance was discarded.
	ErrTimeout = errors.New("plugin call timed out")
	// ErrTrap: the module trapped (panic, unreachable, stack overflow, out of
	// memory); its instance was discarded.
	ErrTrap = errors.New("plugin trapped")
	// ErrPluginFailed: the export returned an error of its own.
	ErrPluginFailed = errors.New("plugin returned an error")
	// ErrOutputTooLarge: the output exceeded limits.outputKiB.
	ErrOutputTooLarge = errors.New("plugin output too large")
	// ErrBadOutput: the output is not a valid ABI document.
	ErrBadOutput = errors.New("plugin output invalid")
	// ErrPermission: the plugin tried something it was not granted (HTTP to a
	// host or address outside its grant).
	ErrPermission = errors.New("permission denied")
	// ErrParked: the breaker parked the plugin after repeated failures.
	ErrParked = errors.New("plugin parked after repeated failures")
	// ErrNoExport: the module has no such export.
	ErrNoExport = errors.New("plugin has no such export")
	// ErrClosed: the plugin or host was closed.
	ErrClosed = errors.New("plugin closed")
)

// CallError is the error of one plugin call.
type CallError struct {
	Plugin, Export string
	Kind           error // one of the sentinels above
	Detail         string
}

func (e *CallError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Export, e.Kind)
	}
	return fmt.Sprintf("plugin %s: %s: %v: %s", e.Plugin, e.Export, e.Kind, e.Detail)
}

// Unwrap lets errors.Is match the kind.
func (e *CallError) Unwrap() error { return e.Kind }

// countsAsFailure says whether a kind feeds the breaker. Caller cancellations
// and unknown exports are not the plugin's fault.
func countsAsFailure(kind error) bool {
	switch kind {
	case ErrNoExport, ErrParked, ErrClosed, nil:
		return false
	}
	return true
}
