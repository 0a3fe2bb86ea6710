// Package v1 implements Portico's plugin ABI version 1 on the host side: the
// portico_*_v1 host functions of pdk/ABI.md §4, checked against the plugin's
// grant, acting as the calling user.
//
// It is frozen: a function here never changes meaning (pdk/ABI.md §7). New
// behaviour gets a new function name or a new package (host/abi/v2). It must
// never import host, web or any store implementation; it reaches the core only
// through host/services.
package v1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/api"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host/services"
)

// Version is the ABI major version this package implements.
const Version = 1

// Error codes of pdk/ABI.md §5.
const (
	CodePermissionDenied = "permission_denied"
	CodeNotFound         = "not_found"
	CodeInvalidArgument  = "invalid_argument"
	CodeTooLarge         = "too_large"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// Limits of pdk/ABI.md §4.
const (
	MaxKeyBytes    = 256
	MaxValueBytes  = 1 << 20
	MaxKeys        = 10000
	MaxLogMessage  = 8 << 10
	maxQueryLimit  = 500
	defQueryLimit  = 100
	maxSearchLimit = 100
	defSearchLimit = 20
	maxSearchTypes = 20
	maxListLimit   = 1000
	defListLimit   = 100
)

// Env is one plugin's view of the core: its name, what was granted, and the
// services behind the host functions.
type Env struct {
	Plugin   string
	Grant    services.Grant
	Services services.Set
	// Logger receives portico_log_v1 records; they carry the plugin's name
	// only once, so pass a logger that does not already name it.
	Logger *slog.Logger
}

// Names lists every host function of ABI v1, in pdk/ABI.md order.
var Names = []string{
	"portico_catalog_get_v1", "portico_catalog_query_v1", "portico_search_v1",
	"portico_kv_get_v1", "portico_kv_set_v1", "portico_kv_delete_v1", "portico_kv_list_v1",
	"portico_config_get_v1", "portico_secret_get_v1", "portico_log_v1",
}

// handler answers one request document with a success document or an error.
type handler func(ctx context.Context, req []byte) (any, error)

// HostFunctions returns the ABI v1 host functions bound to env.
func HostFunctions(env Env) []extism.HostFunction {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	e := &env
	hs := map[string]handler{
		"portico_catalog_get_v1":   e.catalogGet,
		"portico_catalog_query_v1": e.catalogQuery,
		"portico_search_v1":        e.search,
		"portico_kv_get_v1":        e.kvGet,
		"portico_kv_set_v1":        e.kvSet,
		"portico_kv_delete_v1":     e.kvDelete,
		"portico_kv_list_v1":       e.kvList,
		"portico_config_get_v1":    e.configGet,
		"portico_secret_get_v1":    e.secretGet,
		"portico_log_v1":           e.log,
	}
	fns := make([]extism.HostFunction, 0, len(Names))
	for _, name := range Names {
		fns = append(fns, hostFunction(name, hs[name]))
	}
	return fns
}

func hostFunction(name string, h handler) extism.HostFunction {
	return extism.NewHostFunctionWithStack(name, func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		mem := memoryOf(ctx, p)
		req, err := mem.read(stack[0])
		var resp []byte
		if err != nil {
			resp = errorDoc(CodeInvalidArgument, "request is not a valid memory block")
		} else {
			mem.free(stack[0])
			resp = answer(ctx, h, req)
		}
		off, err := mem.write(resp)
		if err != nil {
			// The plugin's Extism memory is exhausted: nothing can be handed
			// back, so this call ends (as an error of the call, not a crash).
			panic(fmt.Errorf("%s: writing response: %w", name, err))
		}
		stack[0] = off
	}, []extism.ValueType{extism.ValueTypePTR}, []extism.ValueType{extism.ValueTypePTR})
}

// answer runs h, turning panics and errors into error documents.
func answer(ctx context.Context, h handler, req []byte) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = errorDoc(CodeInternal, fmt.Sprint("host function failed: ", r))
		}
	}()
	var head struct {
		ABI *int `json:"abi"`
	}
	if err := json.Unmarshal(req, &head); err != nil {
		return errorDoc(CodeInvalidArgument, "request is not a JSON object: "+err.Error())
	}
	if head.ABI == nil || *head.ABI != Version {
		return errorDoc(CodeInvalidArgument, `request must carry "abi": 1`)
	}
	res, err := h(ctx, req)
	if err != nil {
		code, msg := classify(err)
		return errorDoc(code, msg)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return errorDoc(CodeInternal, "encoding response: "+err.Error())
	}
	return b
}

// Error is an error with an ABI error code.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func classify(err error) (code, msg string) {
	var e *Error
	var nf *catalog.NotFoundError
	var in *catalog.InputError
	var na *catalog.NotAllowedError
	switch {
	case errors.As(err, &e):
		return e.Code, e.Message
	case errors.As(err, &nf):
		return CodeNotFound, nf.Error()
	case errors.As(err, &in):
		return CodeInvalidArgument, in.Error()
	case errors.As(err, &na):
		return CodePermissionDenied, na.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeUnavailable, err.Error()
	default:
		return CodeInternal, err.Error()
	}
}

func errorDoc(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"abi": Version, "error": map[string]string{"code": code, "message": msg}})
	return b
}

// ok is the empty success document.
type ok struct {
	ABI int `json:"abi"`
}

func okDoc() ok { return ok{ABI: Version} }

func decode(req []byte, v any) error {
	if err := json.Unmarshal(req, v); err != nil {
		return errf(CodeInvalidArgument, "bad request: %v", err)
	}
	return nil
}

// memory reads and writes Extism memory blocks through the kernel module the
// call context carries (the host may hand in one with cached exports), or
// through the SDK's CurrentPlugin when there is none.
type memory struct {
	ctx    context.Context
	p      *extism.CurrentPlugin
	kernel api.Module
	stack  [1]uint64
}

func memoryOf(ctx context.Context, p *extism.CurrentPlugin) *memory {
	k, _ := ctx.Value(extism.PluginCtxKey("extism")).(api.Module)
	return &memory{ctx: ctx, p: p, kernel: k}
}

func (m *memory) kcall(name string, arg uint64) (uint64, error) {
	f := m.kernel.ExportedFunction(name)
	if f == nil {
		return 0, fmt.Errorf("extism kernel has no %s", name)
	}
	m.stack[0] = arg
	if err := f.CallWithStack(m.ctx, m.stack[:]); err != nil {
		return 0, err
	}
	return m.stack[0], nil
}

func (m *memory) read(off uint64) ([]byte, error) {
	if m.kernel == nil {
		return m.p.ReadBytes(off)
	}
	n, err := m.kcall("length", off)
	if err != nil {
		return nil, err
	}
	b, ok := m.kernel.ExportedMemory("memory").Read(uint32(off), uint32(n))
	if !ok {
		return nil, errors.New("invalid memory block")
	}
	return append([]byte(nil), b...), nil
}

func (m *memory) free(off uint64) {
	if m.kernel == nil {
		_ = m.p.Free(off)
		return
	}
	_, _ = m.kcall("free", off)
}

func (m *memory) write(b []byte) (uint64, error) {
	if m.kernel == nil {
		return m.p.WriteBytes(b)
	}
	off, err := m.kcall("alloc", uint64(len(b)))
	if err != nil {
		return 0, err
	}
	if off == 0 && len(b) > 0 {
		return 0, errors.New("extism alloc failed")
	}
	if !m.kernel.ExportedMemory("memory").Write(uint32(off), b) {
		return 0, errors.New("failed to write to memory")
	}
	return off, nil
}
