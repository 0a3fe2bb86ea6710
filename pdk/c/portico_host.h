/* portico_host.h — part of the header-only C PDK; include "portico.h", not this file. */
#ifndef PORTICO_HOST_H
#define PORTICO_HOST_H
#ifndef PORTICO_H
#error "include portico.h, not portico_host.h"
#endif

/* ---- Portico host functions (ABI.md §4, imports from "extism:host/user") --
 * Each takes a JSON request block and returns a JSON response block. The
 * wrappers build the request, call, and hand back the response:
 *   - functions returning portico_reply give the whole response document
 *     (free it with portico_reply_free); reply.ok is 0 for an error document,
 *     whose code and message are then in reply.code / reply.message;
 *   - the int-returning ones return 1 (found) / 0 (done or not found) or
 *     PORTICO_ERR (-1) for an error document, described by portico_last_error().
 */

#define PORTICO__USER(name) \
  __attribute__((import_module("extism:host/user"), import_name(#name)))

PORTICO__USER(portico_catalog_get_v1) uint64_t portico_catalog_get_v1(uint64_t req);
PORTICO__USER(portico_catalog_query_v1) uint64_t portico_catalog_query_v1(uint64_t req);
PORTICO__USER(portico_search_v1) uint64_t portico_search_v1(uint64_t req);
PORTICO__USER(portico_kv_get_v1) uint64_t portico_kv_get_v1(uint64_t req);
PORTICO__USER(portico_kv_set_v1) uint64_t portico_kv_set_v1(uint64_t req);
PORTICO__USER(portico_kv_delete_v1) uint64_t portico_kv_delete_v1(uint64_t req);
PORTICO__USER(portico_kv_list_v1) uint64_t portico_kv_list_v1(uint64_t req);
PORTICO__USER(portico_config_get_v1) uint64_t portico_config_get_v1(uint64_t req);
PORTICO__USER(portico_secret_get_v1) uint64_t portico_secret_get_v1(uint64_t req);
PORTICO__USER(portico_log_v1) uint64_t portico_log_v1(uint64_t req);

#define PORTICO_ERR (-1)

typedef struct {
  char *json;    /* the response document, NUL-terminated */
  size_t len;
  int ok;        /* 1 for a success document, 0 for an error document */
  char *code;    /* error code (permission_denied, not_found, ...) when !ok */
  char *message; /* error message when !ok */
} portico_reply;

static inline void portico_reply_free(portico_reply *r) {
  free(r->json);
  free(r->code);
  free(r->message);
  memset(r, 0, sizeof *r);
}

/* The string at path inside the reply, malloc'd, or NULL. */
static inline char *portico_reply_string(const portico_reply *r, const char *path) {
  return r->json ? portico_json_get_string(r->json, r->len, path) : NULL;
}

/* The value at path inside the reply, as a span into reply.json. */
static inline portico_span portico_reply_get(const portico_reply *r, const char *path) {
  portico_span none = {NULL, 0};
  return r->json ? portico_json_get(r->json, r->len, path) : none;
}

/* Call a host function with a request document (the "abi" member is added
 * here: pass the members without braces, e.g. "\"key\":\"a\"", or NULL). */
static inline portico_reply portico_host_call(uint64_t (*fn)(uint64_t), const char *members, size_t n) {
  portico_reply r;
  memset(&r, 0, sizeof r);
  portico_json req;
  portico_json_init(&req);
  portico_json__raw(&req, "{\"abi\":1", 8);
  if (members && n) { portico_json__raw(&req, ",", 1); portico_json__raw(&req, members, n); }
  portico_json__raw(&req, "}", 1);
  if (req.err) {
    r.code = strdup("internal");
    r.message = strdup("portico: out of memory building a request");
    return r;
  }
  portico_handle h = portico_mem_new(req.data, req.len);
  portico_json_free(&req);
  r.json = portico_mem_take(fn(h), &r.len);
  if (r.json == NULL) {
    r.code = strdup("internal");
    r.message = strdup("portico: empty host response");
    return r;
  }
  portico_span err = portico_json_get(r.json, r.len, "error");
  if (err.p != NULL && !(err.n == 4 && memcmp(err.p, "null", 4) == 0)) {
    r.code = portico_json_get_string(r.json, r.len, "error.code");
    r.message = portico_json_get_string(r.json, r.len, "error.message");
    if (r.code == NULL) r.code = strdup("internal");
  } else {
    r.ok = 1;
  }
  return r;
}

/* Same, with the request's members written by a portico_json (its text is the
 * comma-separated members, e.g. built with portico_json_key / _string). */
static inline portico_reply portico_host_call_json(uint64_t (*fn)(uint64_t), portico_json *members) {
  portico_reply r = portico_host_call(fn, members->data, members->len);
  portico_json_free(members);
  return r;
}

/* The last error document seen by an int-returning wrapper in this file. */
typedef struct { char code[64]; char message[512]; } portico_error;
static portico_error portico__last_error __attribute__((unused));
static inline const portico_error *portico_last_error(void) { return &portico__last_error; }

static inline void portico__copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* Turn a reply into the int convention: records the error, frees the reply. */
static inline int portico__status(portico_reply *r, int ok_value) {
  if (r->ok) {
    portico__last_error.code[0] = 0;
    portico__last_error.message[0] = 0;
    portico_reply_free(r);
    return ok_value;
  }
  portico__copy(portico__last_error.code, sizeof portico__last_error.code, r->code ? r->code : "internal");
  portico__copy(portico__last_error.message, sizeof portico__last_error.message, r->message ? r->message : "");
  portico_reply_free(r);
  return PORTICO_ERR;
}

/* Take the string member `found` / `value` from a {found, value?} reply. */
static inline int portico__found_value(portico_reply *r, char **value, int raw) {
  if (value) *value = NULL;
  if (!r->ok) return portico__status(r, 0);
  int found = portico_json_get_bool(r->json, r->len, "found");
  if (found && value) {
    if (raw) {
      portico_span s = portico_json_get(r->json, r->len, "value");
      if (s.p) {
        *value = (char *)malloc(s.n + 1);
        if (*value) { memcpy(*value, s.p, s.n); (*value)[s.n] = 0; }
      }
    } else {
      *value = portico_json_get_string(r->json, r->len, "value");
    }
  }
  return portico__status(r, found ? 1 : 0);
}

/* portico_catalog_get_v1: the entity is at "entity" in the reply. */
static inline portico_reply portico_catalog_get(const char *ref) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "ref");
  portico_json_string(&m, ref);
  return portico_host_call_json(portico_catalog_get_v1, &m);
}

/* portico_catalog_query_v1. filter_json: a Backstage filter predicate as JSON
 * text (or NULL); full_text: a term (or NULL); limit: 0 for the default;
 * cursor: from a previous reply's "next" (or NULL). Items at "items". */
static inline portico_reply portico_catalog_query(const char *filter_json, const char *full_text, int limit, const char *cursor) {
  portico_json m;
  portico_json_init(&m);
  if (filter_json) { portico_json_key(&m, "filter"); portico_json_raw(&m, filter_json, strlen(filter_json)); }
  if (full_text) {
    portico_json_key(&m, "fullText");
    portico_json_object(&m);
    portico_json_key(&m, "term");
    portico_json_string(&m, full_text);
    portico_json_end_object(&m);
  }
  if (limit > 0) { portico_json_key(&m, "limit"); portico_json_int(&m, limit); }
  if (cursor) { portico_json_key(&m, "cursor"); portico_json_string(&m, cursor); }
  return portico_host_call_json(portico_catalog_query_v1, &m);
}

/* portico_search_v1; kinds may be NULL. Results at "results". */
static inline portico_reply portico_search(const char *term, const char *const *kinds, size_t nkinds, int limit) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "term");
  portico_json_string(&m, term);
  if (kinds && nkinds) {
    portico_json_key(&m, "kinds");
    portico_json_array(&m);
    for (size_t i = 0; i < nkinds; i++) portico_json_string(&m, kinds[i]);
    portico_json_end_array(&m);
  }
  if (limit > 0) { portico_json_key(&m, "limit"); portico_json_int(&m, limit); }
  return portico_host_call_json(portico_search_v1, &m);
}

/* portico_kv_get_v1: 1 and *value (malloc'd) when found, 0 when not, PORTICO_ERR. */
static inline int portico_kv_get(const char *key, char **value) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "key");
  portico_json_string(&m, key);
  portico_reply r = portico_host_call_json(portico_kv_get_v1, &m);
  return portico__found_value(&r, value, 0);
}

/* portico_kv_set_v1: 0 or PORTICO_ERR. */
static inline int portico_kv_set(const char *key, const char *value) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "key");
  portico_json_string(&m, key);
  portico_json_key(&m, "value");
  portico_json_string(&m, value);
  portico_reply r = portico_host_call_json(portico_kv_set_v1, &m);
  return portico__status(&r, 0);
}

/* portico_kv_delete_v1: 0 or PORTICO_ERR. */
static inline int portico_kv_delete(const char *key) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "key");
  portico_json_string(&m, key);
  portico_reply r = portico_host_call_json(portico_kv_delete_v1, &m);
  return portico__status(&r, 0);
}

/* portico_kv_list_v1; prefix may be NULL, limit 0 for the default. Keys at "keys". */
static inline portico_reply portico_kv_list(const char *prefix, int limit) {
  portico_json m;
  portico_json_init(&m);
  if (prefix) { portico_json_key(&m, "prefix"); portico_json_string(&m, prefix); }
  if (limit > 0) { portico_json_key(&m, "limit"); portico_json_int(&m, limit); }
  return portico_host_call_json(portico_kv_list_v1, &m);
}

/* portico_config_get_v1: 1 and *value_json (the value as JSON text, malloc'd)
 * when set, 0 when not, PORTICO_ERR. key NULL gives the whole config object. */
static inline int portico_config_get(const char *key, char **value_json) {
  portico_json m;
  portico_json_init(&m);
  if (key) { portico_json_key(&m, "key"); portico_json_string(&m, key); }
  portico_reply r = portico_host_call_json(portico_config_get_v1, &m);
  return portico__found_value(&r, value_json, 1);
}

/* A string setting: 1 and *value (decoded, malloc'd) when set to a string. */
static inline int portico_config_get_string(const char *key, char **value) {
  char *raw = NULL;
  int rc = portico_config_get(key, &raw);
  *value = NULL;
  if (rc == 1) {
    portico_span s = {raw, strlen(raw)};
    *value = portico_span_string(s);
    if (*value == NULL) rc = 0;
  }
  free(raw);
  return rc;
}

/* portico_secret_get_v1: 1 and *value (malloc'd) when set, 0 when not, PORTICO_ERR. */
static inline int portico_secret_get(const char *name, char **value) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "name");
  portico_json_string(&m, name);
  portico_reply r = portico_host_call_json(portico_secret_get_v1, &m);
  return portico__found_value(&r, value, 0);
}

/* portico_log_v1; level: debug | info | warn | error. attrs_json: a JSON
 * object of attributes, or NULL. Returns 0 or PORTICO_ERR. */
static inline int portico_log_attrs(const char *level, const char *message, const char *attrs_json) {
  portico_json m;
  portico_json_init(&m);
  portico_json_key(&m, "level");
  portico_json_string(&m, level);
  portico_json_key(&m, "message");
  portico_json_string(&m, message);
  if (attrs_json) { portico_json_key(&m, "attrs"); portico_json_raw(&m, attrs_json, strlen(attrs_json)); }
  portico_reply r = portico_host_call_json(portico_log_v1, &m);
  return portico__status(&r, 0);
}

static inline int portico_log(const char *level, const char *message) {
  return portico_log_attrs(level, message, NULL);
}

/* ---- outbound HTTP (Extism http_request; ABI.md §4 "Outbound HTTP") -------
 * headers_json: a JSON object of header names to values, or NULL. Returns the
 * response body (malloc'd, NUL-terminated; *len its length) and *status.
 * A refused request ends the call (ABI 1): this function then never returns. */
static inline char *portico_http(const char *method, const char *url, const char *headers_json,
                                 const void *body, size_t body_len, int *status, size_t *len) {
  portico_json req;
  portico_json_init(&req);
  portico_json_object(&req);
  portico_json_key(&req, "method");
  portico_json_string(&req, method ? method : "GET");
  portico_json_key(&req, "url");
  portico_json_string(&req, url);
  portico_json_key(&req, "headers");
  if (headers_json) portico_json_raw(&req, headers_json, strlen(headers_json));
  else portico_json_raw(&req, "{}", 2);
  portico_json_end_object(&req);
  portico_handle rh = portico_mem_new(req.data, req.len);
  portico_json_free(&req);
  portico_handle bh = body && body_len ? portico_mem_new(body, body_len) : 0;
  portico_handle resp = extism_http_request(rh, bh);
  if (status) *status = extism_http_status_code();
  return portico_mem_take(resp, len);
}

#endif /* PORTICO_HOST_H */
