// Run a wasm32-wasip1 command (e.g. pcplay built for WASI) under Node's WASI.
//   node tools/wasi-run.mjs target/wasm32-wasip1/native/pcplay.wasm bench
// Only the arguments are passed; no file system access (pcplay bench needs none).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tools/wasi-run.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: ['pcplay', ...args], env: {}, preopens: {} });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
