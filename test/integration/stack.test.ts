// scripts/stack.sh for real: a second stack on its own ports and folder comes up healthy
// with the topics the services expect, a second `up` changes nothing, and `down` leaves no
// process and no listening port behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { REPO } from '../helpers/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-stack-'));
const base = 29000 + Math.floor(Math.random() * 500) * 4;
const env = {
  ...process.env,
  NIDS_STACK_DIR: dir,
  NIDS_KAFKA_PORT: String(base),
  NIDS_KAFKA_CONTROLLER_PORT: String(base + 1),
  NIDS_REGISTRY_PORT: String(base + 2),
  NIDS_REDIS_PORT: String(base + 3),
};
const stack = (cmd: string) => spawnSync('bash', [join(REPO, 'scripts/stack.sh'), cmd], { env, encoding: 'utf8', timeout: 240_000 });
const pids = () => Object.fromEntries(readdirSync(join(dir, 'pids')).map((f) => [f, readFileSync(join(dir, 'pids', f), 'utf8').trim()]));
const alive = (pid: string) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('up, up again, status, down: healthy, idempotent, and nothing left behind', { timeout: 300_000 }, async () => {
  const up = stack('up');
  assert.equal(up.status, 0, up.stdout + up.stderr);
  assert.match(readFileSync(join(dir, 'env'), 'utf8'), new RegExp(`KAFKA_BROKERS=127\\.0\\.0\\.1:${base}`));
  const first = pids();
  assert.ok(first['kafka.pid'] && first['redis.pid']);

  const kafka = new Kafka({ brokers: [`127.0.0.1:${base}`], clientId: 'stack-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: ['nids.flows.v1', 'nids.scored.v1', 'nids.anomalies.v1', 'nids.dlq.v1'] });
  await admin.disconnect();
  const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
  assert.deepEqual(partitions, { 'nids.flows.v1': 6, 'nids.scored.v1': 6, 'nids.anomalies.v1': 3, 'nids.dlq.v1': 1 });

  const again = stack('up');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /kafka already running/);
  assert.deepEqual(pids(), first, 'a second up starts nothing new');
  assert.equal(stack('status').status, 0);

  const down = stack('down');
  assert.equal(down.status, 0, down.stderr);
  for (const pid of Object.values(first)) assert.equal(alive(pid), false, `pid ${pid} still alive`);
  for (const port of [base, base + 1, base + 2, base + 3]) assert.equal(await listening(port), false, `port ${port} still listening`);
  assert.notEqual(stack('status').status, 0, 'status reports the stack down');
});
