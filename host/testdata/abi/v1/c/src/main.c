/* Conformance plugin for ABI v1 in C, built once with pdk/c and frozen as
 * ../plugin.wasm. A port of ../../go-conformance/src/main.go: the same exports
 * and host calls with the same results, so one fixture drives both.
 * Do not change its behaviour: build a new corpus plugin instead.
 *
 * Built with: clang --target=wasm32-wasi --sysroot=/usr -Oz -mexec-model=reactor
 *             -Wl,--strip-all -I pdk/c -o plugin.wasm src/main.c */
#include "portico.h"

/* A host call with a literal request (members without braces). */
#define CALL(fn, lit) portico_host_call(fn, lit, sizeof(lit) - 1)

static const char *code(const portico_reply *r) { return r->ok ? "ok" : r->code; }

/* Lower-cased canonical ref of the entity at prefix ("entity"). */
static char *entity_ref(const char *doc, size_t n, const char *prefix) {
  char path[64];
  char *parts[3];
  const char *names[3] = {"kind", "metadata.namespace", "metadata.name"};
  for (int i = 0; i < 3; i++) {
    char *q = path;
    size_t pl = strlen(prefix);
    memcpy(q, prefix, pl);
    q += pl;
    if (pl) *q++ = '.';
    strcpy(q, names[i]);
    parts[i] = portico_json_get_string(doc, n, path);
    if (parts[i] == NULL || (i == 1 && parts[i][0] == 0)) {
      free(parts[i]);
      parts[i] = strdup(i == 1 ? "default" : "");
    }
    for (char *c = parts[i]; *c; c++) if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
  }
  char *ref = portico_concat(parts[0], ":", parts[1], "/", parts[2], NULL);
  for (int i = 0; i < 3; i++) free(parts[i]);
  return ref;
}

static void field(portico_card *c, const char *label, const char *a, const char *b, const char *d) {
  char *v = portico_concat(a, b ? " " : "", b ? b : "", d ? " " : "", d ? d : "", NULL);
  portico_card_field(c, label, v, NULL);
  free(v);
}

typedef struct { char *k, *v; } label;
static int label_cmp(const void *a, const void *b) { return strcmp(((const label *)a)->k, ((const label *)b)->k); }

PORTICO_EXPORT("card") int32_t card(void) {
  size_t n;
  char *in = portico_input(&n);
  char *name = portico_json_get_string(in, n, "entity.metadata.name");
  char *title = portico_concat("Conformance: ", name ? name : "", NULL);
  portico_card c;
  portico_card_init(&c, title);
  free(title);

  char *owner = portico_json_get_string(in, n, "entity.spec.owner");
  if (owner && owner[0]) {
    if (strchr(owner, ':') == NULL) {
      char *g = portico_concat("group:", owner, NULL);
      free(owner);
      owner = g;
    }
    portico_reply r = portico_catalog_get(owner);
    if (!r.ok) {
      portico_card_field(&c, "Owner", r.code, NULL);
    } else {
      char *t = portico_reply_string(&r, "entity.metadata.title");
      if (t == NULL || t[0] == 0) { free(t); t = portico_reply_string(&r, "entity.metadata.name"); }
      portico_card_field(&c, "Owner", t ? t : "", NULL);
      free(t);
    }
    portico_reply_free(&r);
  }
  free(owner);

  portico_reply r = CALL(portico_config_get_v1, "\"key\":\"greeting\"");
  char *greeting = r.ok && portico_json_get_bool(r.json, r.len, "found") ? portico_reply_string(&r, "value") : NULL;
  field(&c, "Greeting", greeting ? greeting : "", r.ok && portico_json_get_bool(r.json, r.len, "found") ? "true" : "false", code(&r));
  free(greeting);
  portico_reply_free(&r);

  r = CALL(portico_secret_get_v1, "\"name\":\"token\"");
  char *tok = r.ok ? portico_reply_string(&r, "value") : NULL;
  char len[24];
  portico_itoa(tok ? (int64_t)strlen(tok) : 0, len);
  field(&c, "Token length", len, r.ok && portico_json_get_bool(r.json, r.len, "found") ? "true" : "false", code(&r));
  free(tok);
  portico_reply_free(&r);

  char *ref = entity_ref(in, n, "entity");
  char *vkey = portico_concat("visits/", ref, NULL);
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "key");
  portico_json_string(&m, vkey);
  r = portico_host_call_json(portico_kv_get_v1, &m);
  char *visits = r.ok ? portico_reply_string(&r, "value") : NULL;
  if (visits == NULL) visits = strdup("");
  if (r.ok) {
    char *nv = portico_concat(visits, "|", NULL);
    free(visits);
    visits = nv;
    portico_reply_free(&r);
    portico_json_init(&m);
    portico_json_key(&m, "key");
    portico_json_string(&m, vkey);
    portico_json_key(&m, "value");
    portico_json_string(&m, visits);
    r = portico_host_call_json(portico_kv_set_v1, &m);
  }
  portico_itoa((int64_t)strlen(visits), len);
  field(&c, "Visits", len, code(&r), NULL);
  portico_reply_free(&r);
  free(visits);
  free(vkey);

  char *user = portico_json_get_string(in, n, "user.ref");
  portico_card_field(&c, "User", user ? user : "system", NULL);
  free(user);

  char *attrs = NULL;
  {
    portico_json a;
    portico_json_init(&a);
    portico_json_object(&a);
    portico_json_key(&a, "entity");
    portico_json_string(&a, ref);
    portico_json_end_object(&a);
    attrs = a.data;
  }
  portico_log_attrs("info", "card rendered", attrs);
  free(attrs);
  free(ref);

  char *cid = portico_json_get_string(in, n, "card");
  char *st = portico_concat("card ", cid ? cid : "", NULL);
  portico_card_status(&c, "ok", st);
  free(st);
  free(cid);
  char *desc = portico_json_get_string(in, n, "entity.metadata.description");
  if (desc && desc[0]) portico_card_summary(&c, desc);
  free(desc);
  char *url = portico_concat("https://example.com/", name ? name : "", NULL);
  portico_card_link(&c, "Docs", url);
  free(url);
  char *kind = portico_json_get_string(in, n, "entity.kind");
  portico_card_badge(&c, kind ? kind : "", "neutral");
  free(kind);

  const char *cols[2] = {"Key", "Value"};
  portico_card_table(&c, "Labels", cols, 2);
  label labels[64];
  size_t nl = 0;
  portico_iter it;
  portico_span k, v;
  if (portico_iter_init(&it, portico_json_get(in, n, "entity.metadata.labels")))
    while (nl < 64 && portico_iter_next(&it, &k, &v)) {
      labels[nl].k = portico_span_string(k);
      labels[nl].v = portico_span_string(v);
      if (labels[nl].k && labels[nl].v) nl++;
    }
  qsort(labels, nl, sizeof labels[0], label_cmp);
  for (size_t i = 0; i < nl; i++) {
    const char *row[2] = {labels[i].k, labels[i].v};
    portico_card_row(&c, row, 2);
    free(labels[i].k);
    free(labels[i].v);
  }
  portico_card_series(&c, "requests", "rps");
  portico_card_point(&c, "2026-01-01T00:00:00Z", 1);
  portico_card_point(&c, "2026-01-01T01:00:00Z", 2.5);

  free(name);
  free(in);
  return portico_card_output(&c);
}

/* Fail the call with a host error, as pdk/go does: "code: message". */
static int32_t fail_reply(portico_reply *r) {
  char *msg = portico_concat(r->code, ": ", r->message ? r->message : "", NULL);
  portico_reply_free(r);
  int32_t rc = portico_fail(msg);
  free(msg);
  return rc;
}

static int32_t output_json(portico_json *j) {
  portico_output(j->data, j->len);
  portico_json_free(j);
  return 0;
}

static void annotate(portico_json *out, const portico_reply *page, const char *seen) {
  portico_iter it;
  portico_span v;
  if (!portico_iter_init(&it, portico_reply_get(page, "items"))) return;
  while (portico_iter_next(&it, NULL, &v)) {
    char *ref = entity_ref(v.p, v.n, "");
    portico_json_object(out);
    portico_json_key(out, "entityRef");
    portico_json_string(out, ref);
    portico_json_key(out, "annotations");
    portico_json_object(out);
    portico_json_key(out, "conformance/seen");
    portico_json_string(out, seen);
    portico_json_end_object(out);
    portico_json_end_object(out);
    free(ref);
  }
}

PORTICO_EXPORT("provide") int32_t provide(void) {
  portico_reply page = portico_catalog_query("{\"kind\":\"component\"}", NULL, 2, NULL);
  if (!page.ok) return fail_reply(&page);
  portico_json out;
  portico_json_init(&out);
  portico_json_object(&out);
  portico_json_key(&out, "abi");
  portico_json_int(&out, 1);
  portico_json_key(&out, "entities");
  portico_json_array(&out);
  const char *res = "{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Resource\",\"metadata\":{\"name\":\"conformance-db\"},\"spec\":{\"type\":\"database\",\"owner\":\"team-a\"}}";
  portico_json_raw(&out, res, strlen(res));
  portico_json_end_array(&out);
  portico_json_key(&out, "annotations");
  portico_json_array(&out);
  annotate(&out, &page, "true");
  char *next = portico_reply_string(&page, "next");
  portico_reply_free(&page);
  if (next && next[0]) {
    page = portico_catalog_query("{\"kind\":\"component\"}", NULL, 2, next);
    free(next);
    if (!page.ok) {
      portico_json_free(&out);
      return fail_reply(&page);
    }
    annotate(&out, &page, "page2");
    portico_reply_free(&page);
  } else {
    free(next);
  }
  portico_json_end_array(&out);
  portico_json_end_object(&out);
  return output_json(&out);
}

static portico_reply kv(uint64_t (*fn)(uint64_t), const char *key, const char *value) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "key");
  portico_json_string(&m, key);
  if (value) {
    portico_json_key(&m, "value");
    portico_json_string(&m, value);
  }
  return portico_host_call_json(fn, &m);
}

PORTICO_EXPORT("action") int32_t action(void) {
  size_t n;
  char *in = portico_input(&n);
  char *key = portico_json_get_string(in, n, "input.key");
  char *value = portico_json_get_string(in, n, "input.value");
  int dry = portico_json_get_bool(in, n, "dryRun");
  free(in);
  if (key == NULL || key[0] == 0) {
    free(key);
    free(value);
    return portico_fail("input.key is required");
  }
  portico_json out;
  portico_json_init(&out);
  portico_json_object(&out);
  portico_json_key(&out, "abi");
  portico_json_int(&out, 1);
  if (dry) {
    char *msg = portico_concat("dry run: would set ", key, NULL);
    portico_json_key(&out, "messages");
    portico_json_array(&out);
    portico_json_string(&out, msg);
    portico_json_end_array(&out);
    portico_json_end_object(&out);
    free(msg);
    free(key);
    free(value);
    return output_json(&out);
  }
  portico_reply r = kv(portico_kv_set_v1, key, value ? value : "");
  free(value);
  if (!r.ok) { free(key); portico_json_free(&out); return fail_reply(&r); }
  portico_reply_free(&r);
  char *tmp = portico_concat("tmp/", key, NULL);
  r = kv(portico_kv_set_v1, tmp, "x");
  portico_reply_free(&r);
  r = kv(portico_kv_delete_v1, tmp, NULL);
  free(tmp);
  if (!r.ok) { free(key); portico_json_free(&out); return fail_reply(&r); }
  portico_reply_free(&r);
  portico_reply list = portico_kv_list(NULL, 0);
  if (!list.ok) { free(key); portico_json_free(&out); return fail_reply(&list); }
  r = kv(portico_kv_get_v1, key, NULL);
  if (!r.ok) { free(key); portico_reply_free(&list); portico_json_free(&out); return fail_reply(&r); }
  portico_json_key(&out, "output");
  portico_json_object(&out);
  portico_json_key(&out, "found");
  portico_json_bool(&out, portico_json_get_bool(r.json, r.len, "found"));
  portico_json_key(&out, "keys");
  portico_span keys = portico_reply_get(&list, "keys");
  if (keys.p) portico_json_raw(&out, keys.p, keys.n);
  else portico_json_raw(&out, "[]", 2);
  portico_json_key(&out, "value");
  char *got = portico_reply_string(&r, "value");
  portico_json_string(&out, got ? got : "");
  free(got);
  portico_json_end_object(&out);
  portico_json_key(&out, "messages");
  portico_json_array(&out);
  char *msg = portico_concat("set ", key, NULL);
  portico_json_string(&out, msg);
  free(msg);
  portico_json_end_array(&out);
  portico_json_end_object(&out);
  portico_reply_free(&r);
  portico_reply_free(&list);
  free(key);
  return output_json(&out);
}

PORTICO_EXPORT("check") int32_t check(void) {
  size_t n;
  char *in = portico_input(&n);
  char *name = portico_json_get_string(in, n, "entity.metadata.name");
  free(in);
  const char *kinds[1] = {"component"};
  portico_reply r = portico_search(name ? name : "", kinds, 1, 5);
  free(name);
  if (!r.ok) return fail_reply(&r);
  portico_json refs;
  portico_json_init(&refs);
  portico_iter it;
  portico_span v;
  size_t hits = 0;
  if (portico_iter_init(&it, portico_reply_get(&r, "results")))
    while (portico_iter_next(&it, NULL, &v)) {
      char *ref = portico_json_get_string(v.p, v.n, "ref");
      if (hits++) portico_json__raw(&refs, ",", 1);
      if (ref) portico_json__raw(&refs, ref, strlen(ref));
      free(ref);
    }
  portico_reply_free(&r);
  portico_json out;
  portico_json_init(&out);
  portico_json_object(&out);
  portico_json_key(&out, "abi");
  portico_json_int(&out, 1);
  portico_json_key(&out, "result");
  portico_json_string(&out, hits ? "pass" : "fail");
  portico_json_key(&out, "message");
  if (hits) portico_json_stringn(&out, refs.data, refs.len);
  else portico_json_string(&out, "no search hits");
  if (hits) {
    portico_json_key(&out, "score");
    portico_json_int(&out, 1);
  }
  portico_json_end_object(&out);
  portico_json_free(&refs);
  return output_json(&out);
}

PORTICO_EXPORT("route") int32_t route(void) {
  size_t n;
  char *in = portico_input(&n);
  char *method = portico_json_get_string(in, n, "method");
  char *path = portico_json_get_string(in, n, "path");
  char *q = portico_json_get_string(in, n, "query.q.0");
  free(in);
  portico_json out;
  portico_json_init(&out);
  portico_json_object(&out);
  portico_json_key(&out, "abi");
  portico_json_int(&out, 1);
  portico_json_key(&out, "status");
  portico_json_int(&out, 200);
  if (path && strcmp(path, "/text") == 0) {
    char *t = portico_concat("hello ", method ? method : "", NULL);
    portico_json_key(&out, "text");
    portico_json_string(&out, t);
    free(t);
  } else {
    portico_reply r = portico_catalog_query(NULL, q ? q : "", 0, NULL);
    if (!r.ok) {
      free(method); free(path); free(q);
      portico_json_free(&out);
      return fail_reply(&r);
    }
    size_t hits = 0;
    portico_iter it;
    portico_span v;
    if (portico_iter_init(&it, portico_reply_get(&r, "items")))
      while (portico_iter_next(&it, NULL, &v)) hits++;
    portico_reply_free(&r);
    portico_json_key(&out, "json");
    portico_json_object(&out);
    portico_json_key(&out, "hits");
    portico_json_int(&out, (int64_t)hits);
    portico_json_key(&out, "method");
    portico_json_string(&out, method ? method : "");
    portico_json_key(&out, "path");
    portico_json_string(&out, path ? path : "");
    portico_json_end_object(&out);
  }
  portico_json_end_object(&out);
  free(method); free(path); free(q);
  return output_json(&out);
}

/* Keys in sorted order, as pdk/go's map output. */
PORTICO_EXPORT("probe") int32_t probe(void) {
  portico_json out;
  portico_json_init(&out);
  portico_json_object(&out);
  portico_json_key(&out, "abi");
  portico_json_int(&out, 1);
  portico_json_key(&out, "output");
  portico_json_object(&out);
  /* the calls run in pdk/go's order; the members are written sorted */
  portico_reply r[16];
  r[0] = CALL(portico_catalog_get_v1, "\"ref\":\"component:default/payments\"");
  r[1] = CALL(portico_catalog_get_v1, "\"ref\":\"component:default/missing\"");
  r[2] = CALL(portico_catalog_get_v1, "\"ref\":\"not a ref::\"");
  r[3] = CALL(portico_catalog_query_v1, "\"limit\":1");
  r[4] = CALL(portico_catalog_query_v1, "\"limit\":100000");
  r[5] = CALL(portico_search_v1, "\"term\":\"pay\"");
  r[6] = CALL(portico_kv_set_v1, "\"key\":\"probe\",\"value\":\"1\"");
  r[7] = CALL(portico_kv_get_v1, "\"key\":\"probe\"");
  r[8] = CALL(portico_kv_get_v1, "\"key\":\"\"");
  r[9] = portico_host_call(portico_kv_list_v1, NULL, 0);
  r[10] = CALL(portico_kv_delete_v1, "\"key\":\"probe\"");
  r[11] = portico_host_call(portico_config_get_v1, NULL, 0);
  r[12] = CALL(portico_secret_get_v1, "\"name\":\"token\"");
  r[13] = CALL(portico_secret_get_v1, "\"name\":\"other-plugins-secret\"");
  r[14] = CALL(portico_log_v1, "\"level\":\"debug\",\"message\":\"probe\"");
  r[15] = CALL(portico_log_v1, "\"level\":\"loud\",\"message\":\"probe\"");
  static const struct { const char *name; int i; } order[16] = {
      {"catalog_get", 0}, {"catalog_get_bad", 2}, {"catalog_get_missing", 1}, {"catalog_query", 3},
      {"catalog_query_bad_limit", 4}, {"config_get", 11}, {"kv_delete", 10}, {"kv_get", 7},
      {"kv_get_empty_key", 8}, {"kv_list", 9}, {"kv_set", 6}, {"log", 14},
      {"log_bad_level", 15}, {"search", 5}, {"secret_get", 12}, {"secret_get_ungranted", 13},
  };
  for (int i = 0; i < 16; i++) {
    portico_json_key(&out, order[i].name);
    portico_json_string(&out, code(&r[order[i].i]));
  }
  for (int i = 0; i < 16; i++) portico_reply_free(&r[i]);
  portico_json_end_object(&out);
  portico_json_end_object(&out);
  return output_json(&out);
}
