// The declarative card document (ABI.md §3 "card"): what a `card` export returns.
import { JSONValue } from "./json";
import { newDocument, writeDocument } from "./io";

export namespace Level {
  export const Ok = "ok";
  export const Info = "info";
  export const Warning = "warning";
  export const Error = "error";
  export const Unknown = "unknown";
}

export namespace Tone {
  export const Neutral = "neutral";
  export const Ok = "ok";
  export const Info = "info";
  export const Warning = "warning";
  export const Error = "error";
}

/** A table of plain-text cells. */
export class Table {
  v: JSONValue = JSONValue.object();
  rows: JSONValue = JSONValue.array();

  constructor(title: string, columns: Array<string>) {
    if (title.length > 0) this.v.setString("title", title);
    const cols = JSONValue.array();
    for (let i = 0; i < columns.length; i++) cols.push(JSONValue.fromString(columns[i]));
    this.v.set("columns", cols);
    this.v.set("rows", this.rows);
  }

  row(cells: Array<string>): Table {
    const r = JSONValue.array();
    for (let i = 0; i < cells.length; i++) r.push(JSONValue.fromString(cells[i]));
    this.rows.push(r);
    return this;
  }
}

/** A time series of (RFC 3339 time, value) points. */
export class Series {
  v: JSONValue = JSONValue.object();
  points: JSONValue = JSONValue.array();

  constructor(name: string, unit: string) {
    this.v.setString("name", name);
    if (unit.length > 0) this.v.setString("unit", unit);
    this.v.set("points", this.points);
  }

  point(t: string, value: f64): Series {
    this.points.push(JSONValue.object().setString("t", t).set("v", JSONValue.fromF64(value)));
    return this;
  }
}

/** A card, built with chained calls:
 *  new Card("On-call").status(Level.Ok, "quiet").field("Primary", "jane") */
export class Card {
  v: JSONValue = JSONValue.object();

  constructor(title: string) {
    this.v.setString("title", title);
  }

  private list(key: string): JSONValue {
    let a = this.v.get(key);
    if (a == null) {
      a = JSONValue.array();
      this.v.set(key, a);
    }
    return a;
  }

  /** level: one of Level; text may be "". */
  status(level: string, text: string): Card {
    const s = JSONValue.object().setString("level", level);
    if (text.length > 0) s.setString("text", text);
    this.v.set("status", s);
    return this;
  }

  summary(text: string): Card {
    this.v.setString("summary", text);
    return this;
  }

  field(label: string, value: string): Card {
    this.list("fields").push(JSONValue.object().setString("label", label).setString("value", value));
    return this;
  }

  /** A field whose value links to url (http or https). */
  fieldURL(label: string, value: string, url: string): Card {
    this.list("fields").push(
      JSONValue.object().setString("label", label).setString("value", value).setString("url", url),
    );
    return this;
  }

  table(t: Table): Card {
    this.list("tables").push(t.v);
    return this;
  }

  link(title: string, url: string): Card {
    this.list("links").push(JSONValue.object().setString("title", title).setString("url", url));
    return this;
  }

  /** tone: one of Tone. */
  badge(label: string, tone: string): Card {
    this.list("badges").push(JSONValue.object().setString("label", label).setString("tone", tone));
    return this;
  }

  series(s: Series): Card {
    this.list("series").push(s.v);
    return this;
  }

  /** The whole output document {"abi":1,"card":{…}}. */
  toDocument(): JSONValue {
    return newDocument().set("card", this.v);
  }

  /** Sets the card document as the call's output; returns the exit code (0). */
  output(): i32 {
    return writeDocument(this.toDocument());
  }
}
