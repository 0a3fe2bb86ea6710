// A small JSON value, parser and writer for ABI documents (AssemblyScript has
// no JSON built in). Objects keep their members in order; numbers keep their
// JSON text so nothing is lost in a round trip.

export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class JSONValue {
  kind: Kind = Kind.Null;
  bool: bool = false;
  /** String value, or a number's JSON text. */
  text: string = "";
  items: Array<JSONValue> = [];
  keys: Array<string> = [];

  static nil(): JSONValue {
    return new JSONValue();
  }

  static fromBool(b: bool): JSONValue {
    const v = new JSONValue();
    v.kind = Kind.Bool;
    v.bool = b;
    return v;
  }

  static fromString(s: string): JSONValue {
    const v = new JSONValue();
    v.kind = Kind.String;
    v.text = s;
    return v;
  }

  static fromI64(n: i64): JSONValue {
    const v = new JSONValue();
    v.kind = Kind.Number;
    v.text = n.toString();
    return v;
  }

  /** NaN and infinities become null. */
  static fromF64(n: f64): JSONValue {
    if (!isFinite(n)) return JSONValue.nil();
    const v = new JSONValue();
    v.kind = Kind.Number;
    v.text = n == Math.floor(n) && Math.abs(n) < 1e15 ? (<i64>n).toString() : n.toString();
    return v;
  }

  static array(): JSONValue {
    const v = new JSONValue();
    v.kind = Kind.Array;
    return v;
  }

  static object(): JSONValue {
    const v = new JSONValue();
    v.kind = Kind.Object;
    return v;
  }

  /** Parses one document; null when it is not valid JSON. */
  static parse(text: string): JSONValue | null {
    const p = new Parser(text);
    const v = p.value(0);
    if (v == null) return null;
    p.ws();
    if (p.i != text.length) return null;
    return v;
  }

  /** Appends an item to an array; returns this. */
  push(v: JSONValue): JSONValue {
    this.items.push(v);
    return this;
  }

  /** Sets (or adds) member key of an object; returns this. */
  set(key: string, v: JSONValue): JSONValue {
    const i = this.keys.indexOf(key);
    if (i >= 0) {
      this.items[i] = v;
    } else {
      this.keys.push(key);
      this.items.push(v);
    }
    return this;
  }

  setString(key: string, s: string): JSONValue {
    return this.set(key, JSONValue.fromString(s));
  }

  /** Member key of an object, or null. */
  get(key: string): JSONValue | null {
    if (this.kind != Kind.Object) return null;
    const i = this.keys.indexOf(key);
    return i >= 0 ? this.items[i] : null;
  }

  /** The value at a dotted path ("entity.metadata.name", "items.0.kind"). */
  at(path: string): JSONValue | null {
    if (path.length == 0) return this;
    const segs = path.split(".");
    let cur: JSONValue = this;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      let next: JSONValue | null = null;
      if (cur.kind == Kind.Object) {
        next = cur.get(seg);
      } else if (cur.kind == Kind.Array) {
        const idx = parseIndex(seg);
        if (idx >= 0 && idx < cur.items.length) next = cur.items[idx];
      }
      if (next == null) return null;
      cur = next;
    }
    return cur;
  }

  /** The string at path, or null when absent or not a string. */
  strAt(path: string): string | null {
    const v = this.at(path);
    if (v == null || v.kind != Kind.String) return null;
    return v.text;
  }

  isNull(): bool {
    return this.kind == Kind.Null;
  }

  asF64(): f64 {
    return this.kind == Kind.Number ? parseFloat(this.text) : NaN;
  }

  asI64(): i64 {
    return this.kind == Kind.Number ? I64.parseInt(this.text) : 0;
  }

  /** Compact JSON text. */
  toJSON(): string {
    const parts = new Array<string>();
    this.write(parts);
    return parts.join("");
  }

  write(out: Array<string>): void {
    switch (this.kind) {
      case Kind.Null:
        out.push("null");
        break;
      case Kind.Bool:
        out.push(this.bool ? "true" : "false");
        break;
      case Kind.Number:
        out.push(this.text);
        break;
      case Kind.String:
        out.push(quote(this.text));
        break;
      case Kind.Array:
        out.push("[");
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) out.push(",");
          this.items[i].write(out);
        }
        out.push("]");
        break;
      default:
        out.push("{");
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) out.push(",");
          out.push(quote(this.keys[i]));
          out.push(":");
          this.items[i].write(out);
        }
        out.push("}");
    }
  }
}

function parseIndex(s: string): i32 {
  if (s.length == 0 || s.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

const HEX = "0123456789abcdef";

/** s as a JSON string literal. */
export function quote(s: string): string {
  const parts = new Array<string>();
  parts.push('"');
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc = "";
    if (c == 34) esc = '\\"';
    else if (c == 92) esc = "\\\\";
    else if (c == 10) esc = "\\n";
    else if (c == 13) esc = "\\r";
    else if (c == 9) esc = "\\t";
    else if (c < 32) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else continue;
    parts.push(s.substring(start, i));
    parts.push(esc);
    start = i + 1;
  }
  parts.push(s.substring(start));
  parts.push('"');
  return parts.join("");
}

const MAX_DEPTH = 128;

class Parser {
  s: string;
  i: i32 = 0;

  constructor(s: string) {
    this.s = s;
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.i++;
    }
  }

  peek(): i32 {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  lit(word: string, v: JSONValue): JSONValue | null {
    if (this.s.substr(this.i, word.length) != word) return null;
    this.i += word.length;
    return v;
  }

  value(depth: i32): JSONValue | null {
    if (depth > MAX_DEPTH) return null;
    this.ws();
    const c = this.peek();
    if (c == 110) return this.lit("null", JSONValue.nil());
    if (c == 116) return this.lit("true", JSONValue.fromBool(true));
    if (c == 102) return this.lit("false", JSONValue.fromBool(false));
    if (c == 34) {
      const s = this.string();
      return s == null ? null : JSONValue.fromString(s);
    }
    if (c == 91) {
      this.i++;
      const a = JSONValue.array();
      this.ws();
      if (this.peek() == 93) {
        this.i++;
        return a;
      }
      while (true) {
        const v = this.value(depth + 1);
        if (v == null) return null;
        a.items.push(v);
        this.ws();
        const d = this.peek();
        this.i++;
        if (d == 93) return a;
        if (d != 44) return null;
      }
    }
    if (c == 123) {
      this.i++;
      const o = JSONValue.object();
      this.ws();
      if (this.peek() == 125) {
        this.i++;
        return o;
      }
      while (true) {
        this.ws();
        if (this.peek() != 34) return null;
        const k = this.string();
        if (k == null) return null;
        this.ws();
        if (this.peek() != 58) return null;
        this.i++;
        const v = this.value(depth + 1);
        if (v == null) return null;
        o.keys.push(k);
        o.items.push(v);
        this.ws();
        const d = this.peek();
        this.i++;
        if (d == 125) return o;
        if (d != 44) return null;
      }
    }
    return this.number();
  }

  digits(): bool {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c < 48 || c > 57) break;
      this.i++;
    }
    return this.i > start;
  }

  number(): JSONValue | null {
    const start = this.i;
    if (this.peek() == 45) this.i++;
    if (this.peek() == 48) this.i++;
    else if (!this.digits()) return null;
    if (this.peek() == 46) {
      this.i++;
      if (!this.digits()) return null;
    }
    const e = this.peek();
    if (e == 101 || e == 69) {
      this.i++;
      const sign = this.peek();
      if (sign == 43 || sign == 45) this.i++;
      if (!this.digits()) return null;
    }
    const v = new JSONValue();
    v.kind = Kind.Number;
    v.text = this.s.substring(start, this.i);
    return v;
  }

  hex4(): i32 {
    if (this.i + 4 > this.s.length) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s.charCodeAt(this.i + k);
      let d = -1;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.i += 4;
    return v;
  }

  // AssemblyScript strings are UTF-16, like JSON's \u escapes: a surrogate
  // pair written as two escapes decodes to the same two code units.
  string(): string | null {
    this.i++; // opening quote
    const parts = new Array<string>();
    let start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 34) {
        parts.push(this.s.substring(start, this.i));
        this.i++;
        return parts.join("");
      }
      if (c != 92) {
        this.i++;
        continue;
      }
      parts.push(this.s.substring(start, this.i));
      this.i++;
      const e = this.peek();
      this.i++;
      if (e == 110) parts.push("\n");
      else if (e == 116) parts.push("\t");
      else if (e == 114) parts.push("\r");
      else if (e == 98) parts.push("\b");
      else if (e == 102) parts.push("\f");
      else if (e == 117) {
        const u = this.hex4();
        if (u < 0) return null;
        parts.push(String.fromCharCode(u));
      } else if (e == 34 || e == 92 || e == 47) parts.push(String.fromCharCode(e));
      else return null;
      start = this.i;
    }
    return null; // unterminated
  }
}
