package host

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// kernel is a warm instance's direct line to its modules. extism-go-sdk's
// Plugin.Call looks every kernel export up again on each call, and each
// lookup builds a fresh wazero call engine (go-sdk issue #85): ~40 µs and
// ~85 KB per no-op call. kernel caches the api.Function values once per
// instance and sets input / reads output / reads the error through the same
// kernel exports the SDK uses, so the Extism semantics are unchanged.
//
// The SDK does not expose its modules, so they are read from its unexported
// fields by name (reflection, pinned go-sdk v1.7.1). If the fields are not
// found, newKernel fails and calls go through the SDK's Call (slow path);
// TestFastPathAvailable catches that on an SDK upgrade. See RATIONALE.md.
type kernel struct {
	plugin *extism.Plugin
	ext    api.Module // the Extism kernel instance
	main   api.Module
	mem    api.Memory

	reset, alloc, inputSet, outputOffset, outputLength, errorGet, length api.Function
	exports                                                              map[string]api.Function
	stack                                                                [2]uint64
	// cached stands in for the kernel module in the call context, where the
	// SDK's env functions (alloc, length, output_set, …) and the ABI host
	// functions look kernel exports up on every guest call.
	cached *cachedModule
	// initialized: initGuest ran the guest's start (or it needs none).
	initialized bool
}

// cachedModule is the kernel module with ExportedFunction memoised. An
// instance serves one call at a time and kernel functions never re-enter, so
// one api.Function per export is safe.
type cachedModule struct {
	api.Module
	fns map[string]api.Function
}

func (m *cachedModule) ExportedFunction(name string) api.Function {
	if f, ok := m.fns[name]; ok {
		return f
	}
	var f api.Function
	if inner := m.Module.ExportedFunction(name); inner != nil {
		f = kernelFunction{inner}
		switch name {
		case "load_u8", "store_u8", "input_load_u8":
			f = byteFunction{kernelFunction: kernelFunction{inner}, name: name, mem: m.Module.ExportedMemory("memory")}
		}
	}
	m.fns[name] = f
	return f
}

// byteFunction does the kernel's single-byte loads and stores in Go, as the
// SDK already does for the 64-bit ones (load_u64, store_u64, input_load_u64):
// PDKs move the tail of every buffer byte by byte, and each call into the
// kernel costs a goroutine (see kernelFunction).
type byteFunction struct {
	kernelFunction
	name string
	mem  api.Memory
}

func (f byteFunction) CallWithStack(ctx context.Context, stack []uint64) error {
	switch f.name {
	case "load_u8":
		b, ok := f.mem.ReadByte(uint32(stack[0]))
		if !ok {
			return fmt.Errorf("load_u8: offset %d out of range", stack[0])
		}
		stack[0] = uint64(b)
	case "input_load_u8":
		base, _ := ctx.Value(keyInput).(uint64)
		b, ok := f.mem.ReadByte(uint32(stack[0] + base))
		if !ok {
			return fmt.Errorf("input_load_u8: offset %d out of range", stack[0])
		}
		stack[0] = uint64(b)
	case "store_u8":
		if !f.mem.WriteByte(uint32(stack[0]), byte(stack[1])) {
			return fmt.Errorf("store_u8: offset %d out of range", stack[0])
		}
	}
	return nil
}

func (f byteFunction) Call(ctx context.Context, params ...uint64) ([]uint64, error) {
	stack := make([]uint64, 2)
	copy(stack, params)
	if err := f.CallWithStack(ctx, stack); err != nil {
		return nil, err
	}
	if f.name == "store_u8" {
		return nil, nil
	}
	return stack[:1], nil
}

// kernelFunction calls a kernel export without the call's context. With
// WithCloseOnContextDone, wazero starts a goroutine watching the context of
// every Call from Go; kernel exports are short, import nothing and need no
// context values, and the guest's own call still watches the deadline. This
// removed ~40% of the CPU of a card call with six host calls.
type kernelFunction struct{ api.Function }

func (f kernelFunction) Call(_ context.Context, params ...uint64) ([]uint64, error) {
	return f.Function.Call(context.Background(), params...)
}

func (f kernelFunction) CallWithStack(_ context.Context, stack []uint64) error {
	return f.Function.CallWithStack(context.Background(), stack)
}

func moduleField(p *extism.Plugin, name string) (api.Module, error) {
	v := reflect.ValueOf(p).Elem().FieldByName(name)
	if !v.IsValid() || v.Type() != reflect.TypeOf((*api.Module)(nil)).Elem() {
		return nil, fmt.Errorf("extism.Plugin has no field %s of type api.Module", name)
	}
	m, _ := reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Interface().(api.Module)
	if m == nil {
		return nil, fmt.Errorf("extism.Plugin.%s is nil", name)
	}
	return m, nil
}

func newKernel(p *extism.Plugin) (*kernel, error) {
	ext, err := moduleField(p, "extism")
	if err != nil {
		return nil, err
	}
	main, err := moduleField(p, "mainModule")
	if err != nil {
		return nil, err
	}
	k := &kernel{plugin: p, ext: ext, main: main, mem: ext.ExportedMemory("memory"), exports: map[string]api.Function{}}
	k.cached = &cachedModule{Module: ext, fns: map[string]api.Function{}}
	// k.reset … k.length are kernelFunctions: they ignore the context.
	for name, dst := range map[string]*api.Function{
		"reset": &k.reset, "alloc": &k.alloc, "input_set": &k.inputSet,
		"output_offset": &k.outputOffset, "output_length": &k.outputLength,
		"error_get": &k.errorGet, "length": &k.length,
	} {
		if *dst = k.cached.ExportedFunction(name); *dst == nil {
			return nil, fmt.Errorf("extism kernel has no export %s", name)
		}
	}
	if k.mem == nil {
		return nil, errors.New("extism kernel has no memory")
	}
	return k, nil
}

// initGuest runs a WASI reactor's _initialize (the Go runtime's start) the
// way the SDK would on the first call. Modules with other runtimes (Haskell,
// WASI commands) are left to the SDK's first call.
func (k *kernel) initGuest(ctx context.Context) error {
	if k.main.ExportedFunction("hs_init") != nil || k.main.ExportedFunction("__wasm_call_ctors") != nil {
		return nil
	}
	if init := k.main.ExportedFunction("_initialize"); init != nil {
		if len(init.Definition().ParamTypes()) != 0 {
			return nil
		}
		if err := init.CallWithStack(&callCtx{Context: ctx, k: k}, nil); err != nil {
			return err
		}
	}
	k.initialized = true
	return nil
}

// callCtx answers the context values the SDK's env and host functions read,
// with one allocation instead of three.
type callCtx struct {
	context.Context
	k           *kernel
	inputOffset uint64
}

var (
	keyPlugin = extism.PluginCtxKey("plugin")
	keyExtism = extism.PluginCtxKey("extism")
	keyInput  = extism.InputOffsetKey("inputOffset")
)

func (c *callCtx) Value(key any) any {
	switch key {
	case keyPlugin:
		return c.k.plugin
	case keyExtism:
		return c.k.cached
	case keyInput:
		return c.inputOffset
	}
	return c.Context.Value(key)
}

// call mirrors extism.Plugin.CallWithContext for an initialised instance.
func (k *kernel) call(ctx context.Context, name string, input []byte) (uint32, []byte, error) {
	fn := k.exports[name]
	if fn == nil {
		if fn = k.main.ExportedFunction(name); fn == nil {
			return 1, nil, fmt.Errorf("unknown function: %s", name)
		}
		if n := len(fn.Definition().ResultTypes()); n > 1 {
			return 1, nil, fmt.Errorf("function %s has %d results, expected 0 or 1", name, n)
		}
		k.exports[name] = fn
	}
	s := k.stack[:]
	if err := k.reset.CallWithStack(ctx, s); err != nil {
		return 1, nil, err
	}
	s[0] = uint64(len(input))
	if err := k.alloc.CallWithStack(ctx, s); err != nil {
		return 1, nil, err
	}
	ptr := s[0]
	if len(input) > 0 && !k.mem.Write(uint32(ptr), input) {
		return 1, nil, errors.New("input does not fit in plugin memory")
	}
	s[0], s[1] = ptr, uint64(len(input))
	if err := k.inputSet.CallWithStack(ctx, s); err != nil {
		return 1, nil, err
	}
	cctx := &callCtx{Context: ctx, k: k, inputOffset: ptr}
	var res [1]uint64
	err := fn.CallWithStack(cctx, res[:])
	rc := uint32(0)
	if len(fn.Definition().ResultTypes()) == 1 {
		rc = api.DecodeU32(res[0])
	}
	if err != nil {
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == 0 {
				err = nil
			} else {
				rc = exit.ExitCode()
			}
		}
		if err != nil {
			if rc == 0 {
				rc = 1
			}
			return rc, nil, err
		}
	}
	if err := k.errorGet.CallWithStack(ctx, s); err != nil {
		return rc, nil, err
	}
	if off := s[0]; off != 0 {
		s[0] = off
		if err := k.length.CallWithStack(ctx, s); err != nil {
			return rc, nil, err
		}
		msg, _ := k.mem.Read(uint32(off), uint32(s[0]))
		return rc, nil, errors.New(string(msg))
	}
	if err := k.outputOffset.CallWithStack(ctx, s); err != nil {
		return rc, nil, err
	}
	off := s[0]
	if err := k.outputLength.CallWithStack(ctx, s); err != nil {
		return rc, nil, err
	}
	n := s[0]
	if n == 0 {
		return rc, []byte{}, nil
	}
	view, ok := k.mem.Read(uint32(off), uint32(n))
	if !ok {
		return rc, nil, errors.New("output outside plugin memory")
	}
	return rc, append([]byte(nil), view...), nil
}
