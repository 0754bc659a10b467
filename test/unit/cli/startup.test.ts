// Start-up: `nids --help` and `nids analyze --help` load only what prints the help, not the
// stage code and the libraries behind it (Kafka, Avro, Redis, logging, metrics, the forest).
// How long start-up takes is measured by `npm run bench -- cli`; this pins what is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from '../../helpers/stack.ts';

// A module hook that prints every module URL the process resolves, one per line, to stderr
// (hooks run on their own thread; stderr is shared).
const HOOKS = 'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("loaded " + r.url + "\\n"); return r; }';
const dataUrl = (js: string) => `data:text/javascript,${encodeURIComponent(js)}`;
const TRACE = dataUrl(`import { register } from "node:module"; register(${JSON.stringify(dataUrl(HOOKS))});`);

function modulesLoadedBy(args: string[]): { stdout: string; modules: string[] } {
  const r = spawnSync(process.execPath, ['--import', TRACE, `${REPO}bin/nids`, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const modules = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded '))
    .map((l) => l.slice('loaded '.length).replace(`file://${REPO}`, ''));
  return { stdout: r.stdout, modules };
}

const HEAVY = [/node_modules\/(kafkajs|avsc|ioredis|pino|prom-client|fastify|cap)\//, /^(dist\/)?lib\/(pipeline\/(source|score|train)|iforest|detector|flow|kafka|avro\/(codec|schemas)|modelstore)\b/];

test('nids analyze --help loads its options and none of the pipeline or its libraries', () => {
  const { stdout, modules } = modulesLoadedBy(['analyze', '--help']);
  assert.match(stdout, /Usage: nids analyze --baseline/);
  assert.ok(modules.some((m) => /cli\/analyze-spec\.(ts|js)$/.test(m)), `the options module is among those loaded: ${modules.join(', ')}`);
  const heavy = modules.filter((m) => HEAVY.some((h) => h.test(m)));
  assert.deepEqual(heavy, [], 'modules --help should not load');
});

test('nids --help loads no command module', () => {
  const { stdout, modules } = modulesLoadedBy(['--help']);
  assert.match(stdout, /Commands:/);
  assert.ok(modules.some((m) => /cli\/main\.(ts|js)$/.test(m)), `cli/main is among those loaded: ${modules.join(', ')}`);
  assert.deepEqual(modules.filter((m) => /^(dist\/)?(cli\/(?!main\.)|lib\/|services\/)/.test(m)), []);
});
