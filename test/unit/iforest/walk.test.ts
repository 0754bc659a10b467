// The committed WebAssembly binaries are what their text sources compile to: a change to a
// .wat file without `npm run build:wasm` (or a hand-edited .wasm) fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileWat, WASM_SOURCES } from '../../../scripts/build-wasm.ts';

for (const src of WASM_SOURCES) {
  test(`${src} matches its committed .wasm`, async () => {
    const built = await compileWat(src);
    const committed = readFileSync(src.replace(/\.wat$/, '.wasm'));
    assert.ok(Buffer.from(built).equals(committed), `${src} changed: run npm run build:wasm and commit the .wasm`);
  });
}
