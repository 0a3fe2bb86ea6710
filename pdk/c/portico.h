/* portico.h — header-only C PDK for Portico plugins, ABI v1 (pdk/ABI.md).
 *
 * Build (Debian clang + wasi-libc):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *         -Wl,--strip-all -I pdk/c -o plugin.wasm plugin.c
 *
 * A plugin is one C file that includes this header and defines its exports:
 *
 *   #include "portico.h"
 *   PORTICO_EXPORT("card") int32_t card(void) {
 *     size_t n; char *in = portico_input(&n);
 *     char *name = portico_json_get_string(in, n, "entity.metadata.name");
 *     portico_card c; portico_card_init(&c, "Hello");
 *     portico_card_field(&c, "Entity", name, NULL);
 *     free(name); free(in);
 *     return portico_card_output(&c);
 *   }
 *
 * What this header owns: the Extism kernel imports, input/output, a small JSON
 * writer and path reader, the card builder, and one wrapper per ABI v1 host
 * function. It emits the `portico_abi` custom section (content "1"); a plugin
 * made of several C files defines PORTICO_NO_ABI_SECTION in all but one.
 * Everything is `static inline`: only what a plugin uses ends up in its module,
 * and only the host functions it calls are imported.
 */
#ifndef PORTICO_H
#define PORTICO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTICO_ABI 1

/* Export a function under the given name: PORTICO_EXPORT("card") int32_t card(void) */
#define PORTICO_EXPORT(name) __attribute__((export_name(name), visibility("default")))

#if !defined(PORTICO_NO_ABI_SECTION) && defined(__wasm__)
/* ABI.md §1: custom section `portico_abi` holding exactly the byte '1'. */
__asm__(".section .custom_section.portico_abi,\"\",@\n"
        ".ascii \"1\"\n"
        ".text\n");
#endif

/* ---- Extism kernel (imports from "extism:host/env") ----------------------
 * Every pointer the kernel hands out is an offset (i64) into the kernel's own
 * memory, not into this module's memory: bytes cross with load/store. */

#define PORTICO__ENV(name) \
  __attribute__((import_module("extism:host/env"), import_name(#name)))

typedef uint64_t portico_handle; /* offset in Extism memory; 0 means "none" */

PORTICO__ENV(input_length) uint64_t extism_input_length(void);
PORTICO__ENV(input_load_u8) uint8_t extism_input_load_u8(uint64_t offs);
PORTICO__ENV(input_load_u64) uint64_t extism_input_load_u64(uint64_t offs);
PORTICO__ENV(alloc) uint64_t extism_alloc(uint64_t n);
PORTICO__ENV(free) void extism_free(uint64_t h);
PORTICO__ENV(length) uint64_t extism_length(uint64_t h);
PORTICO__ENV(load_u8) uint8_t extism_load_u8(uint64_t offs);
PORTICO__ENV(load_u64) uint64_t extism_load_u64(uint64_t offs);
PORTICO__ENV(store_u8) void extism_store_u8(uint64_t offs, uint8_t v);
PORTICO__ENV(store_u64) void extism_store_u64(uint64_t offs, uint64_t v);
PORTICO__ENV(output_set) void extism_output_set(uint64_t h, uint64_t n);
PORTICO__ENV(error_set) void extism_error_set(uint64_t h);
PORTICO__ENV(config_get) uint64_t extism_config_get(uint64_t key);
PORTICO__ENV(var_get) uint64_t extism_var_get(uint64_t key);
PORTICO__ENV(var_set) void extism_var_set(uint64_t key, uint64_t value);
PORTICO__ENV(http_request) uint64_t extism_http_request(uint64_t req, uint64_t body);
PORTICO__ENV(http_status_code) int32_t extism_http_status_code(void);
PORTICO__ENV(log_debug) void extism_log_debug(uint64_t h);
PORTICO__ENV(log_info) void extism_log_info(uint64_t h);
PORTICO__ENV(log_warn) void extism_log_warn(uint64_t h);
PORTICO__ENV(log_error) void extism_log_error(uint64_t h);

/* Copy n bytes from this module's memory into Extism memory at h. */
static inline void portico_mem_store(portico_handle h, const void *src, size_t n) {
  const uint8_t *p = (const uint8_t *)src;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    extism_store_u64(h + i, w);
  }
  for (; i < n; i++) extism_store_u8(h + i, p[i]);
}

/* Copy n bytes from Extism memory at h into this module's memory. */
static inline void portico_mem_load(portico_handle h, void *dst, size_t n) {
  uint8_t *p = (uint8_t *)dst;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = extism_load_u64(h + i);
    memcpy(p + i, &w, 8);
  }
  for (; i < n; i++) p[i] = extism_load_u8(h + i);
}

/* Allocate an Extism block holding a copy of p[0:n]. */
static inline portico_handle portico_mem_new(const void *p, size_t n) {
  portico_handle h = extism_alloc(n);
  if (h != 0) portico_mem_store(h, p, n);
  return h;
}

/* Copy an Extism block into a fresh NUL-terminated malloc'd buffer, free the
 * block, and return the buffer (NULL when h is 0). *len gets its length. */
static inline char *portico_mem_take(portico_handle h, size_t *len) {
  if (len) *len = 0;
  if (h == 0) return NULL;
  size_t n = (size_t)extism_length(h);
  char *buf = (char *)malloc(n + 1);
  if (buf == NULL) {
    extism_free(h);
    return NULL;
  }
  portico_mem_load(h, buf, n);
  buf[n] = 0;
  extism_free(h);
  if (len) *len = n;
  return buf;
}

/* ---- input, output, errors ------------------------------------------------ */

/* The call's input document as a NUL-terminated malloc'd buffer; *len gets its
 * length (may be NULL). The caller frees it. */
static inline char *portico_input(size_t *len) {
  size_t n = (size_t)extism_input_length();
  char *buf = (char *)malloc(n + 1);
  if (len) *len = 0;
  if (buf == NULL) return NULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = extism_input_load_u64(i);
    memcpy(buf + i, &w, 8);
  }
  for (; i < n; i++) buf[i] = (char)extism_input_load_u8(i);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* Set the call's output to p[0:n]. */
static inline void portico_output(const void *p, size_t n) {
  portico_handle h = portico_mem_new(p, n);
  extism_output_set(h, n);
}

/* Set the call's error message; returns 1, the exit code of a failed export:
 *   return portico_fail("no entity in input"); */
static inline int32_t portico_fail(const char *msg) {
  extism_error_set(portico_mem_new(msg, strlen(msg)));
  return 1;
}

/* ---- strings without printf (printf links ~40 KB of wasi-libc) ----------- */

/* Concatenate NUL-terminated strings up to a NULL argument into a malloc'd
 * string; NULL arguments before the end are not allowed.
 *   char *s = portico_concat("Hello, ", name, "!", NULL); */
static inline char *portico_concat(const char *first, ...) {
  va_list ap;
  size_t n = 0;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) n += strlen(s);
  va_end(ap);
  char *out = (char *)malloc(n + 1), *q = out;
  if (out == NULL) return NULL;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
    size_t l = strlen(s);
    memcpy(q, s, l);
    q += l;
  }
  va_end(ap);
  *q = 0;
  return out;
}

/* Decimal text of v in buf (at least 21 bytes); returns buf. */
static inline char *portico_itoa(int64_t v, char *buf) {
  char t[24];
  size_t i = sizeof t;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do { t[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  if (v < 0) t[--i] = '-';
  memcpy(buf, t + i, sizeof t - i);
  buf[sizeof t - i] = 0;
  return buf;
}

#include "portico_json.h"
#include "portico_card.h"
#include "portico_host.h"

#ifdef __cplusplus
}
#endif

#endif /* PORTICO_H */
