// The call's input, output and error, through the Extism kernel. Output goes
// through UTF-8 bytes: @extism/as-pdk's Host.outputString sizes the block by
// UTF-16 length and truncates non-ASCII text.
import { Host, Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";
import { JSONValue } from "./json";

export const ABI: i32 = 1;

/** The call's input document, or null when it is not JSON. */
export function readInput(): JSONValue | null {
  return JSONValue.parse(Host.inputString());
}

/** Sets the call's output to s, as UTF-8. */
export function writeOutput(s: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(s)));
}

/** Sets the call's output document and returns the export's exit code (0). */
export function writeDocument(doc: JSONValue): i32 {
  writeOutput(doc.toJSON());
  return 0;
}

/** A new output document {"abi": 1}. */
export function newDocument(): JSONValue {
  return JSONValue.object().set("abi", JSONValue.fromI64(ABI));
}

/** Sets the call's error message and returns the export's exit code (1):
 *  `if (name == null) return fail("no entity");` */
export function fail(message: string): i32 {
  const m = Memory.allocateString(message);
  error_set(m.offset);
  return 1;
}

/** An abort handler that reports the message as the call's error before
 *  trapping. Wire it with `--use abort=<your entry>/myAbort` and
 *  `function myAbort(m, f, l, c): void { portico.abort(m, f, l, c) }`. */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const m = message == null ? "abort" : message;
  const f = fileName == null ? "?" : fileName;
  fail("abort: " + m + " at " + f + ":" + line.toString() + ":" + column.toString());
  unreachable();
}
