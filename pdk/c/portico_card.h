/* portico_card.h — part of the header-only C PDK; include "portico.h", not this file. */
#ifndef PORTICO_CARD_H
#define PORTICO_CARD_H
#ifndef PORTICO_H
#error "include portico.h, not portico_card.h"
#endif

/* ---- card builder (ABI.md §3 "card") --------------------------------------
 * Sections may be filled in any order; portico_card_output assembles
 * {"abi":1,"card":{...}}, sets it as the call's output and frees the builder.
 * NULL strings are omitted where the field is optional. */

typedef struct {
  portico_json head;   /* title, status, summary */
  portico_json fields, links, badges, tables, series;
  portico_json rows;   /* rows of the open table */
  portico_json points; /* points of the open series */
  int table_open, series_open;
} portico_card;

static inline void portico_card_init(portico_card *c, const char *title) {
  memset(c, 0, sizeof *c);
  portico_json_key(&c->head, "title");
  portico_json_string(&c->head, title ? title : "");
}

/* level: ok | info | warning | error | unknown; text may be NULL. */
static inline void portico_card_status(portico_card *c, const char *level, const char *text) {
  portico_json_key(&c->head, "status");
  portico_json_object(&c->head);
  portico_json_key(&c->head, "level");
  portico_json_string(&c->head, level);
  if (text) { portico_json_key(&c->head, "text"); portico_json_string(&c->head, text); }
  portico_json_end_object(&c->head);
}

static inline void portico_card_summary(portico_card *c, const char *text) {
  portico_json_key(&c->head, "summary");
  portico_json_string(&c->head, text);
}

/* url may be NULL; it must be http(s) to be rendered. */
static inline void portico_card_field(portico_card *c, const char *label, const char *value, const char *url) {
  portico_json_object(&c->fields);
  portico_json_key(&c->fields, "label");
  portico_json_string(&c->fields, label ? label : "");
  portico_json_key(&c->fields, "value");
  portico_json_string(&c->fields, value ? value : "");
  if (url) { portico_json_key(&c->fields, "url"); portico_json_string(&c->fields, url); }
  portico_json_end_object(&c->fields);
}

static inline void portico_card_link(portico_card *c, const char *title, const char *url) {
  portico_json_object(&c->links);
  portico_json_key(&c->links, "title");
  portico_json_string(&c->links, title ? title : "");
  portico_json_key(&c->links, "url");
  portico_json_string(&c->links, url ? url : "");
  portico_json_end_object(&c->links);
}

/* tone: neutral | ok | info | warning | error, or NULL. */
static inline void portico_card_badge(portico_card *c, const char *label, const char *tone) {
  portico_json_object(&c->badges);
  portico_json_key(&c->badges, "label");
  portico_json_string(&c->badges, label ? label : "");
  if (tone) { portico_json_key(&c->badges, "tone"); portico_json_string(&c->badges, tone); }
  portico_json_end_object(&c->badges);
}

static inline void portico_card__close_table(portico_card *c) {
  if (!c->table_open) return;
  portico_json_key(&c->tables, "rows");
  portico_json_array(&c->tables);
  if (c->rows.len) portico_json__raw(&c->tables, c->rows.data, c->rows.len);
  portico_json_end_array(&c->tables);
  portico_json_end_object(&c->tables);
  portico_json_free(&c->rows);
  c->table_open = 0;
}

/* Start a table (title may be NULL); following portico_card_row calls add to it. */
static inline void portico_card_table(portico_card *c, const char *title, const char *const *columns, size_t ncolumns) {
  portico_card__close_table(c);
  portico_json_object(&c->tables);
  if (title) { portico_json_key(&c->tables, "title"); portico_json_string(&c->tables, title); }
  portico_json_key(&c->tables, "columns");
  portico_json_array(&c->tables);
  for (size_t i = 0; i < ncolumns; i++) portico_json_string(&c->tables, columns[i]);
  portico_json_end_array(&c->tables);
  c->table_open = 1;
}

static inline void portico_card_row(portico_card *c, const char *const *cells, size_t ncells) {
  if (!c->table_open) return;
  portico_json_array(&c->rows);
  for (size_t i = 0; i < ncells; i++) portico_json_string(&c->rows, cells[i] ? cells[i] : "");
  portico_json_end_array(&c->rows);
}

static inline void portico_card__close_series(portico_card *c) {
  if (!c->series_open) return;
  portico_json_key(&c->series, "points");
  portico_json_array(&c->series);
  if (c->points.len) portico_json__raw(&c->series, c->points.data, c->points.len);
  portico_json_end_array(&c->series);
  portico_json_end_object(&c->series);
  portico_json_free(&c->points);
  c->series_open = 0;
}

/* Start a time series (unit may be NULL); portico_card_point adds to it. */
static inline void portico_card_series(portico_card *c, const char *name, const char *unit) {
  portico_card__close_series(c);
  portico_json_object(&c->series);
  portico_json_key(&c->series, "name");
  portico_json_string(&c->series, name ? name : "");
  if (unit) { portico_json_key(&c->series, "unit"); portico_json_string(&c->series, unit); }
  c->series_open = 1;
}

/* t: an RFC 3339 timestamp. */
static inline void portico_card_point(portico_card *c, const char *t, double v) {
  if (!c->series_open) return;
  portico_json_object(&c->points);
  portico_json_key(&c->points, "t");
  portico_json_string(&c->points, t);
  portico_json_key(&c->points, "v");
  portico_json_number(&c->points, v);
  portico_json_end_object(&c->points);
}

static inline void portico_card_free(portico_card *c) {
  portico_json_free(&c->head);
  portico_json_free(&c->fields);
  portico_json_free(&c->links);
  portico_json_free(&c->badges);
  portico_json_free(&c->tables);
  portico_json_free(&c->series);
  portico_json_free(&c->rows);
  portico_json_free(&c->points);
}

static inline void portico_card__section(portico_json *out, const char *key, portico_json *items) {
  if (items->len == 0) return;
  portico_json_key(out, key);
  portico_json_array(out);
  portico_json__raw(out, items->data, items->len);
  portico_json_end_array(out);
}

/* Serialize the card document ({"abi":1,"card":{...}}) into out (initialised here). */
static inline void portico_card_json(portico_card *c, portico_json *out) {
  portico_card__close_table(c);
  portico_card__close_series(c);
  portico_json_init(out);
  portico_json_object(out);
  portico_json_key(out, "abi");
  portico_json_int(out, PORTICO_ABI);
  portico_json_key(out, "card");
  portico_json_object(out);
  portico_json__raw(out, c->head.data, c->head.len);
  out->need_sep = 1;
  portico_card__section(out, "fields", &c->fields);
  portico_card__section(out, "tables", &c->tables);
  portico_card__section(out, "links", &c->links);
  portico_card__section(out, "badges", &c->badges);
  portico_card__section(out, "series", &c->series);
  portico_json_end_object(out);
  portico_json_end_object(out);
  int err = c->head.err | c->fields.err | c->links.err | c->badges.err | c->tables.err |
            c->series.err | c->rows.err | c->points.err;
  if (err) out->err = 1;
}

/* Set the card document as the call's output; returns the export's exit code. */
static inline int32_t portico_card_output(portico_card *c) {
  portico_json out;
  portico_card_json(c, &out);
  portico_card_free(c);
  if (out.err) {
    portico_json_free(&out);
    return portico_fail("portico: out of memory building the card");
  }
  portico_output(out.data, out.len);
  portico_json_free(&out);
  return 0;
}

#endif /* PORTICO_CARD_H */
