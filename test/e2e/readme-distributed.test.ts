// The README's "Distributed mode" commands, run as written, in the order written, on the
// default ports, from a folder laid out like a fresh clone: they must start the stack, fill
// out/sink/five_tuple_with_anomaly.csv with every flow of both captures labeled exactly as
// `nids analyze` labels them, and stop the stack again. The test's only additions are
// waiting where a person would wait (for the CSV to stop growing) and the comparison.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CSV_FILE } from '../../lib/pipeline/csv.ts';
import { waitFor } from '../helpers/proc.ts';
import { REPO } from '../helpers/stack.ts';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Distributed mode'));
const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
assert.ok(block, 'the README has a Distributed mode section with a sh block');
/** The block's commands, comments stripped. */
const commands = block
  .split('\n')
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

// A fresh clone's shape: the repository's files, but its own .stack/, data/ and out/.
const clone = mkdtempSync(join(tmpdir(), 'nids-readme-'));
for (const entry of ['bin', 'cli', 'lib', 'services', 'schemas', 'scripts', 'node_modules', 'package.json', '.cache']) {
  symlinkSync(join(REPO, entry), join(clone, entry));
}
// Exactly what a user's shell has: none of the test stack's endpoints or port overrides.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(NIDS_|KAFKA_BROKERS|SCHEMA_REGISTRY_URL|REDIS_URL)/.test(k)),
);
env.NIDS_LOG_LEVEL = 'warn';

/**
 * The default ports belong to one run at a time on a machine: two clones testing at once
 * (a developer's and a helper's) would otherwise start two stacks on the same ports. A lock
 * directory with the holder's pid serializes them; a holder that died leaves a stale lock
 * that the next run takes over.
 */
const LOCK = join(tmpdir(), 'nids-default-ports.lock');
let locked = false;
async function lockDefaultPorts(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      locked = true;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try { holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = true;
      if (Number.isInteger(holder) && holder > 0) {
        try { process.kill(holder, 0); } catch { alive = false; }
      }
      if (!alive) { rmSync(LOCK, { recursive: true, force: true }); continue; }
      assert.ok(Date.now() < deadline, `the default ports stayed locked by pid ${holder} (${LOCK})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const jobs: ChildProcess[] = [];
let stackUp = false;
after(() => {
  for (const j of jobs) if (j.exitCode === null) j.kill('SIGKILL');
  if (stackUp) spawnSync('bash', ['scripts/stack.sh', 'down'], { cwd: clone, env, stdio: 'ignore' });
  rmSync(clone, { recursive: true, force: true });
  if (locked) rmSync(LOCK, { recursive: true, force: true });
});

function sh(command: string, timeoutMs = 180_000): string {
  const r = spawnSync('bash', ['-c', command], { cwd: clone, env, encoding: 'utf8', timeout: timeoutMs });
  assert.equal(r.status, 0, `\`${command}\` exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

/**
 * The CSV's rows without the sensor's name and the flow id derived from it: the README's
 * sensor is named after the host, the embedded mode's "embedded". Everything else (times,
 * community id, 5-tuple, counts, score, threshold, label, model, reasons) must be equal.
 */
function rows(path: string): string[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = header!.split(',');
  const drop = new Set(['sensor_id', 'flow_id'].map((c) => columns.indexOf(c)));
  assert.ok(!drop.has(-1), `${path} lacks sensor_id or flow_id: ${header}`);
  return lines.map((l) => l.split(',').filter((_, i) => !drop.has(i)).join(','));
}

test('the README\'s distributed commands, as written, give the labels nids analyze gives', { timeout: 1_500_000 }, async () => {
  assert.ok(commands.some((c) => c.endsWith('&')), 'the scorer and the sink run in the background');
  assert.match(commands[0]!, /stack:up/);
  assert.match(commands[commands.length - 1]!, /stack:down/);
  await lockDefaultPorts(900_000);
  const sinkCsv = join(clone, 'out/sink', CSV_FILE);
  let expected: string[] = [];
  for (const command of commands) {
    if (command.endsWith('&')) {
      const job = spawn('bash', ['-c', `exec ${command.slice(0, -1).trim()}`], { cwd: clone, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      job.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      job.on('exit', (code) => {
        if (code !== 0 && code !== null) process.stderr.write(`background \`${command}\` exited ${code}:\n${stderr}\n`);
      });
      jobs.push(job);
      continue;
    }
    if (/^kill %/.test(command)) {
      // What a person does before this line: run the same captures through the embedded
      // mode, then wait until the sink has written every flow.
      for (const name of ['baseline', 'input']) {
        sh(`./bin/nids analyze --baseline data/baseline.pcap --input data/${name}.pcap --out out/embedded-${name}`);
        expected.push(...rows(join(clone, `out/embedded-${name}`, CSV_FILE)));
      }
      expected = expected.sort();
      await waitFor(`${expected.length} rows in out/sink`, () =>
        existsSync(sinkCsv) && rows(sinkCsv).length >= expected.length ? true : undefined, 180_000, 500);
      const targets = command.replace(/^kill\s+/, '').split(/\s+/).map((spec) => jobs[Number(spec.slice(1)) - 1]!);
      const exits = targets.map((j) => new Promise<number | null>((r) => (j.exitCode !== null ? r(j.exitCode) : j.on('exit', (c) => r(c)))));
      for (const j of targets) j.kill('SIGTERM');
      assert.deepEqual(await Promise.all(exits), targets.map(() => 0), 'the scorer and the sink exit cleanly on SIGTERM');
      continue;
    }
    // A start-up that fails half way may leave some of the stack running: always stop it.
    if (/stack:up/.test(command)) stackUp = true;
    sh(command);
    if (/stack:down/.test(command)) stackUp = false;
  }
  const got = rows(sinkCsv).sort();
  assert.ok(expected.length > 100, `too few flows: ${expected.length}`);
  assert.ok(expected.some((r) => r.endsWith(',-1')) || expected.some((r) => r.includes(',-1,')), 'the attacks raise anomalies');
  assert.deepEqual(got, expected, 'out/sink holds every flow of both captures with the embedded mode\'s labels');
  assert.equal(spawnSync('bash', ['scripts/stack.sh', 'status'], { cwd: clone, env }).status, 1, 'stack:down stopped the stack');
});
