/* Native unit test of the PDK's JSON reader and writer (no Wasm needed):
 *   cc -Wall -Wno-unknown-attributes -I pdk/c -o /tmp/t pdk/c/json_test.c && /tmp/t
 * Run by `make pdk-test`. */
#include "portico.h"

#include <assert.h>

static int failures;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                    \
    }                                                                \
  } while (0)

static int streq_free(char *got, const char *want) {
  int ok = got != NULL && strcmp(got, want) == 0;
  if (!ok) fprintf(stderr, "  got %s, want %s\n", got ? got : "(null)", want);
  free(got);
  return ok;
}

int main(void) {
  const char *doc =
      " { \"a\" : {\"skip\": [1, \"]}\", {\"x\": \"}\"}], \"b\": [10, {\"c\": \"x\\\"y\\u00e9\\ud83d\\ude00\\n\"}]},"
      " \"n\": -42, \"t\": true, \"f\": false, \"z\": null, \"e\": {}, \"k\\\"q\": 1 } ";
  size_t n = strlen(doc);

  CHECK(streq_free(portico_json_get_string(doc, n, "a.b.1.c"), "x\"y\xc3\xa9\xf0\x9f\x98\x80\n"));
  CHECK(portico_json_get_int(doc, n, "a.b.0", 0) == 10);
  CHECK(portico_json_get_int(doc, n, "n", 0) == -42);
  CHECK(portico_json_get_int(doc, n, "t", 7) == 7);
  CHECK(portico_json_get_bool(doc, n, "t") == 1);
  CHECK(portico_json_get_bool(doc, n, "f") == 0);
  CHECK(portico_span_is_null(portico_json_get(doc, n, "z")));
  CHECK(portico_json_get(doc, n, "a.b.2").p == NULL);
  CHECK(portico_json_get(doc, n, "a.nope").p == NULL);
  CHECK(portico_json_get(doc, n, "n.x").p == NULL);
  CHECK(portico_json_get_string(doc, n, "n") == NULL);
  portico_span whole = portico_json_get(doc, n, "");
  CHECK(whole.p != NULL && whole.p[0] == '{' && whole.p[whole.n - 1] == '}');

  /* iteration over members and items */
  portico_iter it;
  portico_span k, v;
  int count = 0;
  CHECK(portico_iter_init(&it, portico_json_get(doc, n, "a.skip")));
  while (portico_iter_next(&it, NULL, &v)) count++;
  CHECK(count == 3);
  count = 0;
  CHECK(portico_iter_init(&it, portico_json_get(doc, n, "")));
  while (portico_iter_next(&it, &k, &v)) count++;
  CHECK(count == 7);
  CHECK(portico_iter_init(&it, portico_json_get(doc, n, "e")));
  CHECK(!portico_iter_next(&it, &k, &v));
  CHECK(!portico_iter_init(&it, portico_json_get(doc, n, "n")));

  /* malformed input never reads past the end */
  const char *bad[] = {"{", "{\"a\":", "{\"a\":\"x", "[1,", "{\"a\" 1}", "\"", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK(portico_json_get_string(bad[i], strlen(bad[i]), "a") == NULL);

  /* writer: separators, escaping, numbers */
  portico_json j;
  portico_json_init(&j);
  portico_json_object(&j);
  portico_json_key(&j, "s");
  portico_json_string(&j, "q\"b\\\n\t\x01 \xc3\xa9");
  portico_json_key(&j, "a");
  portico_json_array(&j);
  portico_json_int(&j, 0);
  portico_json_int(&j, -9223372036854775807LL - 1);
  portico_json_number(&j, 2.5);
  portico_json_bool(&j, 1);
  portico_json_null(&j);
  portico_json_object(&j);
  portico_json_end_object(&j);
  portico_json_end_array(&j);
  portico_json_key(&j, "n");
  portico_json_string(&j, NULL);
  portico_json_end_object(&j);
  const char *want = "{\"s\":\"q\\\"b\\\\\\n\\t\\u0001 \xc3\xa9\",\"a\":[0,-9223372036854775808,2.5,true,null,{}],\"n\":null}";
  CHECK(j.err == 0 && strcmp(j.data, want) == 0);
  if (strcmp(j.data, want) != 0) fprintf(stderr, "  got  %s\n  want %s\n", j.data, want);
  portico_json_free(&j);

  char buf[24];
  CHECK(strcmp(portico_itoa(1234567, buf), "1234567") == 0);
  CHECK(streq_free(portico_concat("a", "", "bc", NULL), "abc"));

  if (failures) {
    fprintf(stderr, "pdk/c json_test: %d failures\n", failures);
    return 1;
  }
  printf("pdk/c json_test: ok\n");
  return 0;
}
