/* portico_json.h — part of the header-only C PDK; include "portico.h", not this file. */
#ifndef PORTICO_JSON_H
#define PORTICO_JSON_H
#ifndef PORTICO_H
#error "include portico.h, not portico_json.h"
#endif

/* ---- JSON writer ----------------------------------------------------------
 * A growable buffer that writes compact JSON; separators are inserted for you.
 *   portico_json j; portico_json_init(&j);
 *   portico_json_object(&j); portico_json_key(&j, "a"); portico_json_int(&j, 1);
 *   portico_json_end_object(&j);   ... j.data / j.len, portico_json_free(&j)
 * Allocation failure sets j.err and turns later writes into no-ops. */

typedef struct {
  char *data;
  size_t len, cap;
  int err;      /* non-zero after an allocation failure */
  int need_sep; /* a value was written at this level: next one needs ',' */
} portico_json;

static inline void portico_json_init(portico_json *j) { memset(j, 0, sizeof *j); }
static inline void portico_json_free(portico_json *j) { free(j->data); portico_json_init(j); }

static inline void portico_json__raw(portico_json *j, const char *s, size_t n) {
  if (j->err) return;
  if (j->len + n + 1 > j->cap) {
    size_t cap = j->cap ? j->cap * 2 : 256;
    while (cap < j->len + n + 1) cap *= 2;
    char *d = (char *)realloc(j->data, cap);
    if (d == NULL) { j->err = 1; return; }
    j->data = d;
    j->cap = cap;
  }
  memcpy(j->data + j->len, s, n);
  j->len += n;
  j->data[j->len] = 0;
}

static inline void portico_json__sep(portico_json *j) {
  if (j->need_sep) portico_json__raw(j, ",", 1);
  j->need_sep = 0;
}

/* Write n bytes as a JSON string literal (UTF-8 passes through, controls are escaped). */
static inline void portico_json_stringn(portico_json *j, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  portico_json__sep(j);
  portico_json__raw(j, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    if (c == '"') esc = "\\\"";
    else if (c == '\\') esc = "\\\\";
    else if (c == '\n') esc = "\\n";
    else if (c == '\r') esc = "\\r";
    else if (c == '\t') esc = "\\t";
    else if (c < 0x20) {
      u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0'; u[4] = hex[c >> 4]; u[5] = hex[c & 15];
    } else continue;
    portico_json__raw(j, s + start, i - start);
    if (esc) portico_json__raw(j, esc, 2);
    else portico_json__raw(j, u, 6);
    start = i + 1;
  }
  portico_json__raw(j, s + start, n - start);
  portico_json__raw(j, "\"", 1);
  j->need_sep = 1;
}

static inline void portico_json_string(portico_json *j, const char *s) {
  if (s == NULL) { portico_json__sep(j); portico_json__raw(j, "null", 4); j->need_sep = 1; return; }
  portico_json_stringn(j, s, strlen(s));
}

static inline void portico_json_key(portico_json *j, const char *k) {
  portico_json_string(j, k);
  portico_json__raw(j, ":", 1);
  j->need_sep = 0;
}

static inline void portico_json_object(portico_json *j) { portico_json__sep(j); portico_json__raw(j, "{", 1); }
static inline void portico_json_end_object(portico_json *j) { portico_json__raw(j, "}", 1); j->need_sep = 1; }
static inline void portico_json_array(portico_json *j) { portico_json__sep(j); portico_json__raw(j, "[", 1); }
static inline void portico_json_end_array(portico_json *j) { portico_json__raw(j, "]", 1); j->need_sep = 1; }

static inline void portico_json_int(portico_json *j, int64_t v) {
  char b[24];
  portico_itoa(v, b);
  portico_json__sep(j);
  portico_json__raw(j, b, strlen(b));
  j->need_sep = 1;
}

/* Finite doubles only (JSON has no NaN/Inf: they are written as null).
 * Uses snprintf, which links wasi-libc's printf (~40 KB) into the module. */
static inline void portico_json_number(portico_json *j, double v) {
  char b[32];
  int n;
  if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) n = snprintf(b, sizeof b, "null");
  else n = snprintf(b, sizeof b, "%.17g", v);
  portico_json__sep(j);
  portico_json__raw(j, b, (size_t)n);
  j->need_sep = 1;
}

static inline void portico_json_bool(portico_json *j, int v) {
  portico_json__sep(j);
  portico_json__raw(j, v ? "true" : "false", v ? 4 : 5);
  j->need_sep = 1;
}

static inline void portico_json_null(portico_json *j) {
  portico_json__sep(j);
  portico_json__raw(j, "null", 4);
  j->need_sep = 1;
}

/* Insert already-encoded JSON (e.g. a span read from the input) as one value. */
static inline void portico_json_raw(portico_json *j, const char *json, size_t n) {
  portico_json__sep(j);
  portico_json__raw(j, json, n);
  j->need_sep = 1;
}

/* ---- JSON reader ----------------------------------------------------------
 * No tree is built: portico_json_get walks the text to the value at a dotted
 * path ("entity.metadata.name", "items.0.title") and returns its span. */

typedef struct {
  const char *p; /* first byte of the value; NULL when absent */
  size_t n;      /* length of the value's text */
} portico_span;

static inline const char *portico_json__ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* Skip one value starting at p; returns the byte after it, or NULL if malformed. */
static inline const char *portico_json__skip(const char *p, const char *end) {
  p = portico_json__ws(p, end);
  if (p >= end) return NULL;
  if (*p == '"') {
    for (p++; p < end; p++) {
      if (*p == '\\') { p++; continue; }
      if (*p == '"') return p + 1;
    }
    return NULL;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    for (; p < end; p++) {
      if (*p == '"') {
        p = portico_json__skip(p, end);
        if (p == NULL) return NULL;
        p--;
      } else if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
    }
    return NULL;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
  return p;
}

/* The value at a dotted path inside json[0:n]; span.p == NULL when absent.
 * An empty path returns the whole document. Path segments that are all
 * digits index arrays. */
static inline portico_span portico_json_get(const char *json, size_t n, const char *path) {
  portico_span none = {NULL, 0};
  const char *p = json, *end = json + n;
  const char *seg = path;
  while (1) {
    p = portico_json__ws(p, end);
    if (p >= end) return none;
    if (*seg == 0) {
      const char *e = portico_json__skip(p, end);
      if (e == NULL) return none;
      portico_span s = {p, (size_t)(e - p)};
      return s;
    }
    const char *dot = strchr(seg, '.');
    size_t sl = dot ? (size_t)(dot - seg) : strlen(seg);
    const char *next = dot ? dot + 1 : seg + sl;
    if (*p == '{') {
      p++;
      int found = 0;
      while (1) {
        p = portico_json__ws(p, end);
        if (p >= end || *p == '}') return none;
        if (*p != '"') return none;
        const char *ks = p + 1;
        const char *ke = portico_json__skip(p, end);
        if (ke == NULL) return none;
        size_t kl = (size_t)(ke - 1 - ks);
        p = portico_json__ws(ke, end);
        if (p >= end || *p != ':') return none;
        p = portico_json__ws(p + 1, end);
        /* keys are compared raw: escaped keys do not match (none in ABI v1) */
        if (kl == sl && memcmp(ks, seg, sl) == 0) { found = 1; break; }
        p = portico_json__skip(p, end);
        if (p == NULL) return none;
        p = portico_json__ws(p, end);
        if (p < end && *p == ',') p++;
      }
      if (!found) return none;
    } else if (*p == '[') {
      size_t idx = 0;
      for (size_t i = 0; i < sl; i++) {
        if (seg[i] < '0' || seg[i] > '9') return none;
        idx = idx * 10 + (size_t)(seg[i] - '0');
      }
      p++;
      for (size_t i = 0;; i++) {
        p = portico_json__ws(p, end);
        if (p >= end || *p == ']') return none;
        if (i == idx) break;
        p = portico_json__skip(p, end);
        if (p == NULL) return none;
        p = portico_json__ws(p, end);
        if (p < end && *p == ',') p++;
      }
    } else {
      return none;
    }
    seg = next;
  }
}

/* Iterating the members of an object or the items of an array:
 *   portico_iter it; portico_span k, v;
 *   if (portico_iter_init(&it, portico_json_get(in, n, "entity.metadata.labels")))
 *     while (portico_iter_next(&it, &k, &v)) { char *key = portico_span_string(k); ... }
 * For arrays the key span is left empty. */
typedef struct {
  const char *p, *end;
  int object;
} portico_iter;

/* 1 when s is an object or array (the iterator is then ready), else 0. */
static inline int portico_iter_init(portico_iter *it, portico_span s) {
  it->p = it->end = NULL;
  it->object = 0;
  if (s.p == NULL || s.n < 2 || (s.p[0] != '{' && s.p[0] != '[')) return 0;
  it->object = s.p[0] == '{';
  it->p = s.p + 1;
  it->end = s.p + s.n - 1; /* the closing bracket */
  return 1;
}

/* The next member (key and value) or item (value); 0 at the end. */
static inline int portico_iter_next(portico_iter *it, portico_span *key, portico_span *value) {
  portico_span none = {NULL, 0};
  if (key) *key = none;
  *value = none;
  if (it->p == NULL) return 0;
  const char *p = portico_json__ws(it->p, it->end);
  if (p < it->end && *p == ',') p = portico_json__ws(p + 1, it->end);
  if (p >= it->end) { it->p = NULL; return 0; }
  if (it->object) {
    const char *ke = portico_json__skip(p, it->end);
    if (ke == NULL || *p != '"') { it->p = NULL; return 0; }
    if (key) { key->p = p; key->n = (size_t)(ke - p); }
    p = portico_json__ws(ke, it->end);
    if (p >= it->end || *p != ':') { it->p = NULL; return 0; }
    p = portico_json__ws(p + 1, it->end);
  }
  const char *ve = portico_json__skip(p, it->end);
  if (ve == NULL) { it->p = NULL; return 0; }
  value->p = p;
  value->n = (size_t)(ve - p);
  it->p = ve;
  return 1;
}

/* 1 when the span is the literal null or absent. */
static inline int portico_span_is_null(portico_span s) {
  return s.p == NULL || (s.n == 4 && memcmp(s.p, "null", 4) == 0);
}

static inline void portico__utf8(char **o, uint32_t c) {
  char *q = *o;
  if (c < 0x80) *q++ = (char)c;
  else if (c < 0x800) { *q++ = (char)(0xC0 | (c >> 6)); *q++ = (char)(0x80 | (c & 0x3F)); }
  else if (c < 0x10000) {
    *q++ = (char)(0xE0 | (c >> 12)); *q++ = (char)(0x80 | ((c >> 6) & 0x3F)); *q++ = (char)(0x80 | (c & 0x3F));
  } else {
    *q++ = (char)(0xF0 | (c >> 18)); *q++ = (char)(0x80 | ((c >> 12) & 0x3F));
    *q++ = (char)(0x80 | ((c >> 6) & 0x3F)); *q++ = (char)(0x80 | (c & 0x3F));
  }
  *o = q;
}

static inline uint32_t portico__hex4(const char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return 0xFFFD;
  }
  return v;
}

/* Decode a string span into a NUL-terminated malloc'd UTF-8 string; NULL when
 * the span is absent or not a string. The caller frees it. */
static inline char *portico_span_string(portico_span s) {
  if (s.p == NULL || s.n < 2 || s.p[0] != '"') return NULL;
  char *out = (char *)malloc(s.n + 1), *q = out;
  if (out == NULL) return NULL;
  const char *p = s.p + 1, *end = s.p + s.n - 1;
  while (p < end) {
    if (*p != '\\') { *q++ = *p++; continue; }
    p++;
    if (p >= end) break;
    char c = *p++;
    switch (c) {
      case 'n': *q++ = '\n'; break;
      case 't': *q++ = '\t'; break;
      case 'r': *q++ = '\r'; break;
      case 'b': *q++ = '\b'; break;
      case 'f': *q++ = '\f'; break;
      case 'u': {
        if (end - p < 4) { p = end; break; }
        uint32_t cp = portico__hex4(p);
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          uint32_t lo = portico__hex4(p + 2);
          if (lo >= 0xDC00 && lo < 0xE000) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); p += 6; }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        portico__utf8(&q, cp);
        break;
      }
      default: *q++ = c; /* \" \\ \/ */
    }
  }
  *q = 0;
  return out;
}

/* The string at path, decoded and malloc'd, or NULL. */
static inline char *portico_json_get_string(const char *json, size_t n, const char *path) {
  return portico_span_string(portico_json_get(json, n, path));
}

/* The integer at path, or def when absent or not a number. */
static inline int64_t portico_json_get_int(const char *json, size_t n, const char *path, int64_t def) {
  portico_span s = portico_json_get(json, n, path);
  if (s.p == NULL || s.n == 0) return def;
  const char *p = s.p, *end = s.p + s.n;
  int neg = 0;
  if (*p == '-') { neg = 1; p++; }
  if (p >= end || *p < '0' || *p > '9') return def;
  int64_t v = 0;
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return neg ? -v : v;
}

/* 1 when the value at path is `true`, 0 otherwise. */
static inline int portico_json_get_bool(const char *json, size_t n, const char *path) {
  portico_span s = portico_json_get(json, n, path);
  return s.p != NULL && s.n == 4 && memcmp(s.p, "true", 4) == 0;
}

#endif /* PORTICO_JSON_H */
