// `npm run bench -- <group>`: runs one benchmark group (sensor, capture, forest, pipeline, siem, registry, cli, flood, host, plots), or all.
import { spawnSync } from 'node:child_process';
import { REPO } from './util.ts';

const GROUPS: Record<string, string> = { sensor: 'bench/sensor.ts', capture: 'bench/capture.ts', forest: 'bench/forest.ts', pipeline: 'bench/pipeline.ts', registry: 'bench/registry.ts', cli: 'bench/cli.ts', flood: 'bench/flood.ts', host: 'bench/host.ts', plots: 'bench/plots.ts', siem: 'bench/siem.ts' };
const asked = process.argv.slice(2);
const unknown = asked.filter((g) => !GROUPS[g]);
if (unknown.length) {
  process.stderr.write(`unknown bench group ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}\n`);
  process.exit(2);
}
for (const g of asked.length ? asked : Object.keys(GROUPS)) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', GROUPS[g]!], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
