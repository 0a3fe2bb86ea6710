//go:build wasip1

package pdk

// Host functions of ABI v1 (pdk/ABI.md §4): (i64 request offset) -> i64
// response offset, both Extism memory blocks holding JSON.

//go:wasmimport extism:host/user portico_catalog_get_v1
func hostCatalogGet(uint64) uint64

//go:wasmimport extism:host/user portico_catalog_query_v1
func hostCatalogQuery(uint64) uint64

//go:wasmimport extism:host/user portico_search_v1
func hostSearch(uint64) uint64

//go:wasmimport extism:host/user portico_kv_get_v1
func hostKVGet(uint64) uint64

//go:wasmimport extism:host/user portico_kv_set_v1
func hostKVSet(uint64) uint64

//go:wasmimport extism:host/user portico_kv_delete_v1
func hostKVDelete(uint64) uint64

//go:wasmimport extism:host/user portico_kv_list_v1
func hostKVList(uint64) uint64

//go:wasmimport extism:host/user portico_config_get_v1
func hostConfigGet(uint64) uint64

//go:wasmimport extism:host/user portico_secret_get_v1
func hostSecretGet(uint64) uint64

//go:wasmimport extism:host/user portico_log_v1
func hostLog(uint64) uint64
