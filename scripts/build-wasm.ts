// `npm run build:wasm`: compiles the WebAssembly text sources (lib/**/*.wat) into the
// .wasm files committed beside them. The runtime loads the .wasm and needs no compiler;
// test/unit/iforest/walk.test.ts fails when a .wasm no longer matches its source.
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

export const WASM_SOURCES = ['lib/iforest/walk.wat'];

/** The binary for a .wat file, deterministic (no names section, no debug info). */
export async function compileWat(path: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(path, readFileSync(path, 'utf8'));
  try {
    mod.validate();
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const src of WASM_SOURCES) {
    const out = src.replace(/\.wat$/, '.wasm');
    const bytes = await compileWat(src);
    writeFileSync(out, bytes);
    process.stdout.write(`${src} -> ${out} (${bytes.length} bytes)\n`);
  }
}
