// asc transform that adds the `portico_abi` custom section (content "1",
// pdk/ABI.md §1) to the module: asc --transform <this file>.
import { Transform } from "assemblyscript/transform";

export default class PorticoABI extends Transform {
  afterCompile(module) {
    module.addCustomSection("portico_abi", new Uint8Array([0x31]));
  }
}
