/* c-hello: a Portico card plugin in C.
 *
 * The card greets the entity it is shown on, lists a few of its fields, and
 * counts how often it was rendered for that entity in the plugin's KV store.
 * Build: `make plugins` (the clang command is in pdk/c/portico.h). */
#include "portico.h"

/* The render count for key, incremented and stored; "unavailable" when the
 * KV store refuses (e.g. kv not granted). Returns a malloc'd string. */
static char *count_view(const char *key) {
  char *old = NULL;
  int rc = portico_kv_get(key, &old);
  if (rc == PORTICO_ERR) return strdup("unavailable");
  char buf[24];
  portico_itoa(rc == 1 && old ? strtoll(old, NULL, 10) + 1 : 1, buf);
  free(old);
  if (portico_kv_set(key, buf) == PORTICO_ERR) return strdup("unavailable");
  return strdup(buf);
}

PORTICO_EXPORT("card") int32_t card(void) {
  size_t n;
  char *in = portico_input(&n);
  if (in == NULL) return portico_fail("c-hello: cannot read input");

  char *name = portico_json_get_string(in, n, "entity.metadata.name");
  if (name == NULL) {
    free(in);
    return portico_fail("c-hello: input has no entity.metadata.name");
  }
  char *kind = portico_json_get_string(in, n, "entity.kind");
  char *ns = portico_json_get_string(in, n, "entity.metadata.namespace");
  char *owner = portico_json_get_string(in, n, "entity.spec.owner");
  char *lifecycle = portico_json_get_string(in, n, "entity.spec.lifecycle");

  /* Operator setting, with a default. */
  char *greeting = NULL;
  if (portico_config_get_string("greeting", &greeting) != 1) greeting = strdup("Hello");

  char *key = portico_concat("views/", ns ? ns : "default", "/", name, NULL);
  char *views = count_view(key);

  char *msg = portico_concat("rendering card for ", name, NULL);
  portico_log("info", msg);

  char *summary = portico_concat(greeting, ", ", name, "!", NULL);
  portico_card c;
  portico_card_init(&c, "Hello from C");
  portico_card_status(&c, "ok", "plugin answered");
  portico_card_summary(&c, summary);
  portico_card_field(&c, "Kind", kind ? kind : "unknown", NULL);
  portico_card_field(&c, "Owner", owner ? owner : "none", NULL);
  if (lifecycle) portico_card_field(&c, "Lifecycle", lifecycle, NULL);
  portico_card_field(&c, "Views", views, NULL);
  portico_card_badge(&c, "c", "info");
  portico_card_link(&c, "Portico plugin ABI", "https://portico.dev/docs/abi/v1");

  free(summary); free(msg); free(views); free(key);
  free(name); free(kind); free(ns); free(owner); free(lifecycle); free(greeting); free(in);
  return portico_card_output(&c);
}
