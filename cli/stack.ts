// `nids stack up|down|status`: the same script `npm run stack:*` runs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export async function run(argv: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../scripts/stack.sh', import.meta.url));
  const r = spawnSync('bash', [script, ...(argv.length ? argv : ['--help'])], { stdio: 'inherit' });
  return r.status ?? 1;
}
