// `npm run build` (also `prepare`, so `npm ci` runs it): compiles the CLI, the services and
// lib/ to JavaScript in dist/, so `./bin/nids` starts without compiling TypeScript (about
// half a second saved on every command). dist/ mirrors the repository: what the code loads
// beside itself (the .wasm, schemas/, scripts/, package.json) is copied or linked in, and
// dist/.built marks a complete build. bin/nids uses dist/ only while no source is newer than
// that mark, and otherwise runs the sources through tsx, so an edit never runs stale code.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(REPO, 'dist');

let tsc: string;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without dev dependencies (the container image): nids runs through tsx.
  process.stdout.write('nids build: typescript is not installed; ./bin/nids will run the TypeScript sources through tsx\n');
  process.exit(0);
}

rmSync(DIST, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(DIST, { recursive: true, force: true });
  process.stderr.write('nids build: tsc failed (see above); ./bin/nids will run the TypeScript sources through tsx\n');
  process.exit(1);
}
for (const dir of ['lib', 'services', 'cli']) {
  for (const file of readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.wasm')) continue;
    mkdirSync(dirname(join(DIST, dir, file)), { recursive: true });
    copyFileSync(join(REPO, dir, file), join(DIST, dir, file));
  }
}
for (const entry of ['schemas', 'scripts', 'package.json']) {
  if (existsSync(join(REPO, entry))) symlinkSync(join('..', entry), join(DIST, entry));
}
// The dashboard's page (HTML and browser JavaScript) is served as it is: linked, so an edit shows at once.
symlinkSync(join('..', '..', '..', 'lib', 'dashboard', 'page'), join(DIST, 'lib', 'dashboard', 'page'));
writeFileSync(join(DIST, '.built'), `${new Date().toISOString()}\n`);
process.stdout.write(`nids build: dist/ ready\n`);
