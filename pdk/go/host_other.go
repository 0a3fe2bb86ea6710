//go:build !wasip1

package pdk

import "errors"

// ErrNotInPlugin is returned by the host-function helpers when the code is
// not running as a plugin (GOOS != wasip1): they exist on every platform so
// plugin packages build, vet and unit-test natively; use pdk/go/plugintest
// to run them against a host.
var ErrNotInPlugin = errors.New("pdk: host functions are only available in a wasip1 plugin")

// CatalogGet reads one entity by ref, as the calling user.
func CatalogGet(ref string) (Entity, error) { return Entity{}, ErrNotInPlugin }

// CatalogQuery reads a page of entities, as the calling user.
func CatalogQuery(q Query) (Page, error) { return Page{}, ErrNotInPlugin }

// Search runs a full-text search of catalog entities, as the calling user.
func Search(term string, kinds []string, limit int) ([]SearchResult, error) {
	return nil, ErrNotInPlugin
}

// SearchTypes searches documents of the given types, as the calling user.
func SearchTypes(term string, types, kinds []string, limit int) ([]SearchResult, error) {
	return nil, ErrNotInPlugin
}

// KVGet reads a key of the plugin's own key-value space.
func KVGet(key string) (value string, found bool, err error) { return "", false, ErrNotInPlugin }

// KVSet writes a key.
func KVSet(key, value string) error { return ErrNotInPlugin }

// KVDelete deletes a key.
func KVDelete(key string) error { return ErrNotInPlugin }

// KVList lists keys with prefix.
func KVList(prefix string, limit int) ([]string, error) { return nil, ErrNotInPlugin }

// Config decodes one key of the operator's config into v.
func Config(key string, v any) (bool, error) { return false, ErrNotInPlugin }

// Secret reads a granted secret.
func Secret(name string) (value string, found bool, err error) { return "", false, ErrNotInPlugin }

// Log writes to the host's structured log.
func Log(level, message string, attrs map[string]any) error { return ErrNotInPlugin }

// HTTPGet fetches a URL through Extism's http_request.
func HTTPGet(url string, headers map[string]string) (status int, body []byte) { return 0, nil }

// HandleCollate implements a collate export.
func HandleCollate(f func(CollateInput) (CollateOutput, error)) int32 { return 1 }

// HandleCard implements a card export.
func HandleCard(f func(CardInput) (Card, error)) int32 { return 1 }

// HandleProvide implements a provide export.
func HandleProvide(f func(ProvideInput) (ProvideOutput, error)) int32 { return 1 }

// HandleAction implements an action export.
func HandleAction(f func(ActionInput) (ActionOutput, error)) int32 { return 1 }

// HandleCheck implements a check export.
func HandleCheck(f func(CheckInput) (CheckOutput, error)) int32 { return 1 }

// HandleRoute implements a route export.
func HandleRoute(f func(RouteInput) (RouteOutput, error)) int32 { return 1 }
