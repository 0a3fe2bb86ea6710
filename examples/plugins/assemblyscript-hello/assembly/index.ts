// assemblyscript-hello: a Portico card plugin in AssemblyScript.
//
// The card greets the entity it is shown on, lists a few of its fields, and
// counts how often it was rendered for that entity in the plugin's KV store.
// Build: `make plugins` (asc with pdk/assemblyscript/transform.mjs).
import * as portico from "../../../../pdk/assemblyscript/assembly/index";
import { Card, Level, Tone } from "../../../../pdk/assemblyscript/assembly/index";

// Wired with `--use abort=assembly/index/myAbort`: an abort becomes the call's error.
function myAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  portico.abort(message, fileName, line, column);
}

/** The render count for key, incremented and stored; "unavailable" when the
 *  KV store refuses (e.g. kv not granted). */
function countView(key: string): string {
  const got = portico.kvGet(key);
  if (!got.ok) return "unavailable";
  const old = got.valueString();
  const count: i64 = old == null ? 1 : I64.parseInt(old) + 1;
  if (!portico.kvSet(key, count.toString()).ok) return "unavailable";
  return count.toString();
}

export function card(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("assemblyscript-hello: input is not JSON");
  const name = input.strAt("entity.metadata.name");
  if (name == null) return portico.fail("assemblyscript-hello: input has no entity.metadata.name");
  const ns = input.strAt("entity.metadata.namespace");
  const kind = input.strAt("entity.kind");
  const owner = input.strAt("entity.spec.owner");
  const lifecycle = input.strAt("entity.spec.lifecycle");

  let greeting = "Hello";
  const cfg = portico.configGet("greeting");
  if (cfg.ok && cfg.found) {
    const g = cfg.doc.strAt("value");
    if (g != null) greeting = g;
  }

  const views = countView("views/" + (ns == null ? "default" : ns) + "/" + name);
  portico.log("info", "rendering card for " + name);

  const c = new Card("Hello from AssemblyScript")
    .status(Level.Ok, "plugin answered")
    .summary(greeting + ", " + name + "!")
    .field("Kind", kind == null ? "unknown" : kind)
    .field("Owner", owner == null ? "none" : owner);
  if (lifecycle != null) c.field("Lifecycle", lifecycle);
  return c
    .field("Views", views)
    .badge("assemblyscript", Tone.Info)
    .link("Portico plugin ABI", "https://portico.dev/docs/abi/v1")
    .output();
}
