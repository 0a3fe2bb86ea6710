// Portico's plugin development kit for AssemblyScript (ABI v1, pdk/ABI.md),
// over @extism/as-pdk. Owns: JSON documents, the card builder, typed
// wrappers for every host function, input/output/error and the abort
// handler. The `portico_abi` custom section is added by ../transform.mjs
// (asc --transform), since asc has no syntax for custom sections.
export { JSONValue, Kind, quote } from "./json";
export { ABI, readInput, writeOutput, writeDocument, newDocument, fail, abort } from "./io";
export { Card, Table, Series, Level, Tone } from "./card";
export {
  Reply,
  Query,
  HttpResponse,
  call,
  catalogGet,
  catalogQuery,
  search,
  kvGet,
  kvSet,
  kvDelete,
  kvList,
  configGet,
  secretGet,
  log,
  logAttrs,
  http,
} from "./host";
