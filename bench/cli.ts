// Start-up group: wall time of `nids --help` and `nids analyze --help` as separate processes,
// from the build in dist/ (made fresh here, as npm ci makes it) and, in the same run, from the TypeScript sources
// through tsx (NIDS_FROM_SOURCE=1), the way every command started before the build existed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { emit, median, REPO } from './util.ts';

const RUNS = 7;
// A fresh build first: bin/nids ignores a dist/ older than any source.
const build = spawnSync(process.execPath, ['--import', 'tsx', `${REPO}scripts/build.ts`], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0 || !existsSync(`${REPO}dist/.built`)) {
  process.stderr.write('bench cli: the build failed (npm run build)\n');
  process.exit(1);
}
for (const args of [['--help'], ['analyze', '--help']]) {
  for (const [impl, env] of [['nids-dist', {}], ['nids-tsx-source', { NIDS_FROM_SOURCE: '1' }]] as const) {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [`${REPO}bin/nids`, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
      ms.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`nids ${args.join(' ')} exited ${r.status}`);
    }
    emit(`cli.startup_ms.${args[0] === '--help' ? 'help' : 'analyze_help'}`, impl, median(ms), 'ms');
  }
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (args[0] === '--help') emit('cli.startup_ms.help', 'node-empty-script', (performance.now() - t0) / RUNS, 'ms');
}
