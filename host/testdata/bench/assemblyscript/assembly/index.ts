// bench-assemblyscript: the AssemblyScript plugin of BenchmarkLanguages
// (host/bench_lang_test.go). `noop` writes the smallest ABI document; `card`
// reads the input, makes exactly one host call (portico_kv_get_v1 of key "k")
// and writes a card whose title is the entity name followed by the value.
// Build: make bench-plugins (mk/benchplugins.mk).
import * as portico from "../../../../../pdk/assemblyscript/assembly/index";
import { Card } from "../../../../../pdk/assemblyscript/assembly/index";

function myAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  portico.abort(message, fileName, line, column);
}

export function noop(): i32 {
  portico.writeOutput('{"abi":1}');
  return 0;
}

export function card(): i32 {
  const input = portico.readInput();
  if (input == null) return portico.fail("bench-assemblyscript: input is not JSON");
  const name = input.strAt("entity.metadata.name");
  if (name == null) return portico.fail("bench-assemblyscript: input has no entity.metadata.name");
  const got = portico.kvGet("k");
  if (!got.ok) return portico.fail("bench-assemblyscript: kv get failed");
  const v = got.valueString();
  return new Card(name + (v == null ? "" : v)).output();
}
