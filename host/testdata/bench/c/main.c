/* bench-c: the C plugin of BenchmarkLanguages (host/bench_lang_test.go).
 * `noop` writes the smallest ABI document; `card` reads the input, makes
 * exactly one host call (portico_kv_get_v1 of key "k") and writes a card
 * whose title is the entity name followed by the value.
 * Build: make bench-plugins (mk/benchplugins.mk). */
#include "portico.h"

PORTICO_EXPORT("noop") int32_t noop(void) {
  static const char doc[] = "{\"abi\":1}";
  portico_output(doc, sizeof doc - 1);
  return 0;
}

PORTICO_EXPORT("card") int32_t card(void) {
  size_t n;
  char *in = portico_input(&n);
  if (in == NULL) return portico_fail("bench-c: cannot read input");
  char *name = portico_json_get_string(in, n, "entity.metadata.name");
  free(in);
  if (name == NULL) return portico_fail("bench-c: input has no entity.metadata.name");
  char *v = NULL;
  if (portico_kv_get("k", &v) == PORTICO_ERR) {
    free(name);
    return portico_fail("bench-c: kv get failed");
  }
  char *title = portico_concat(name, v ? v : "", NULL);
  portico_card c;
  portico_card_init(&c, title);
  free(title); free(name); free(v);
  return portico_card_output(&c);
}
