package main

import (
	"fmt"
	"strings"
)

// scanFlags splits args into positional arguments and flags, which may come in
// any order (`portico plugin install REF --yes`). A flag is `--name=value` or
// `--name value`; names in boolFlags take no value. Each flag is handed to set,
// which rejects unknown names. A lone "-" is positional (standard input).
func scanFlags(args []string, boolFlags map[string]bool, set func(name, val string) error) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "--") {
			pos = append(pos, arg)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		switch {
		case boolFlags[name] && hasVal:
			return nil, fmt.Errorf("--%s takes no value", name)
		case !boolFlags[name] && !hasVal:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if err := set(name, val); err != nil {
			return nil, err
		}
	}
	return pos, nil
}
