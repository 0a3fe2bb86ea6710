package host

import (
	"log/slog"
	"sort"
	"strconv"
	"strings"

	extism "github.com/extism/go-sdk"

	v1 "github.com/portico-dev/portico/host/abi/v1"
	"github.com/portico-dev/portico/host/services"
)

// abiFunctions builds one ABI version's host functions for one plugin.
type abiFunctions func(plugin string, grant services.Grant, set services.Set, log *slog.Logger) []extism.HostFunction

// abis maps every ABI major version this host implements to its host
// functions. A version, once shipped, is never removed (pdk/ABI.md §7).
var abis = map[int]abiFunctions{
	v1.Version: func(plugin string, grant services.Grant, set services.Set, log *slog.Logger) []extism.HostFunction {
		return v1.HostFunctions(v1.Env{Plugin: plugin, Grant: grant, Services: set, Logger: log})
	},
}

// SupportedABIs lists the ABI major versions this host implements.
func SupportedABIs() []int {
	vs := make([]int, 0, len(abis))
	for v := range abis {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}

func supportedABIs() string {
	var vs []string
	for _, v := range SupportedABIs() {
		vs = append(vs, strconv.Itoa(v))
	}
	return strings.Join(vs, ", ")
}
