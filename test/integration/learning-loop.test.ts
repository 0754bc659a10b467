// The learning loop on the real stack: the continuous trainer promotes on its schedule and
// a running scorer follows; an attack seen during a training window stays out of the next
// model (its flows were flagged by the scorer), and a model trained with it included is
// refused by the promotion guard and never promoted; rollback, diff, retention and two
// scopes side by side.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { keys } from '../../lib/modelstore/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import type { Anomaly, ScoredFlow } from '../../lib/avro/records.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { runNids, startNids, waitFor, type Running } from '../helpers/proc.ts';
import { readTopic } from '../helpers/topic.ts';
import { createTopics, stackEndpoints, uniqueName } from '../helpers/stack.ts';
import { freePort } from '../helpers/registry.ts';

const stack = stackEndpoints();
const run = uniqueName('loop');
const topics = { flows: `${run}.flows`, scored: `${run}.scored`, anomalies: `${run}.anomalies`, incidents: `${run}.incidents`, dlq: `${run}.dlq` };
const dir = mkdtempSync(join(tmpdir(), 'nids-loop-'));
const common = ['--brokers', stack.brokers, '--registry', stack.registry, '--redis', stack.redis];
const topicArgs = ['--flows-topic', topics.flows, '--scored-topic', topics.scored, '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq];
const trainer = (scope: string, ...args: string[]) => ['trainer', ...common, ...topicArgs, '--scope', scope, '--min-flows', '200', ...args];
const pcap = (name: string) => join(dir, `${name}.pcap`);
const running: Running[] = [];
let store: RedisModelStore;

before(async () => {
  store = await new RedisModelStore(stack.redis).connect();
  await createTopics(stack.brokers, Object.values(topics));
  // Three hours of one office network: benign, benign, then benign with a port scan.
  await runNids(['simulate', '--out', pcap('benign1'), '--seed', '31', '--duration', '150', '--start', '2026-11-02T09:00:00Z']);
  await runNids(['simulate', '--out', pcap('benign2'), '--seed', '32', '--duration', '150', '--start', '2026-11-02T10:00:00Z']);
  await runNids(['simulate', '--out', pcap('attack'), '--seed', '33', '--duration', '90', '--start', '2026-11-02T11:00:00Z', '--attacks', 'portscan']);
  await runNids(['simulate', '--out', pcap('short'), '--seed', '34', '--duration', '30', '--start', '2026-11-02T09:00:00Z']);
});
after(async () => {
  await Promise.all(running.map((p) => p.stop(5000)));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const publish = (name: string) => runNids(['sensor', '--brokers', stack.brokers, '--registry', stack.registry, '--flows-topic', topics.flows, '--input', pcap(name), '--sensor-id', 'loop']);

/** The time each promotion of `scope` was announced, as a subscriber sees it. */
async function watchPromotions(scope: string): Promise<{ seen: Array<{ id: string; at: number }>; close(): void }> {
  const sub = new Redis(stack.redis);
  const seen: Array<{ id: string; at: number }> = [];
  sub.on('message', (_channel: string, message: string) => {
    const m = JSON.parse(message) as { scope: string; id: string };
    if (m.scope === scope) seen.push({ id: m.id, at: Date.now() });
  });
  await sub.subscribe(keys.channel);
  return { seen, close: () => sub.disconnect() };
}

/** When the scorer's log says `id` came into force (pino's `time`, ms). */
const inForceAt = (scorer: Running, id: string): number | undefined => {
  for (const line of scorer.output().stderr.split('\n')) {
    if (!line.includes('"model in force"') || !line.includes(id)) continue;
    return (JSON.parse(line) as { time: number }).time;
  }
  return undefined;
};

const scoredOf = (flows: number) =>
  readTopic<ScoredFlow>(topics.scored, 'scoredFlow', (r) => new Set(r.map((s) => s.flow.flow_id)).size >= flows, { timeoutMs: 120_000, settleMs: 500 });

test('the trainer promotes on its schedule and a running scorer follows within a second', { timeout: 300_000 }, async (t) => {
  const scope = `${run}-main`;
  await publish('benign1');
  const promotions = await watchPromotions(scope);
  const scorer = startNids(['scorer', ...common, ...topicArgs, '--scope', scope, '--group-id', `${run}-scorer`], { NIDS_LOG_LEVEL: 'info' });
  running.push(scorer);
  const loop = startNids(trainer(scope, '--every', '4'));
  running.push(loop);
  const first = await waitFor('the first promotion', () => promotions.seen[0], 90_000, 100);
  // New traffic in the window: a later scheduled turn fits a model that covers it and promotes it.
  await publish('benign2');
  const second = await waitFor('a promotion of a model fitted on the new traffic', async () => {
    for (const p of promotions.seen) if ((await store.load(p.id)).meta.window.includes('T10:')) return p;
    return undefined;
  }, 90_000, 200);
  await loop.stop();
  promotions.close();
  for (const p of promotions.seen.filter((x, i, all) => all.findIndex((y) => y.id === x.id) === i)) {
    const at = await waitFor(`the scorer loading ${p.id}`, () => inForceAt(scorer, p.id), 10_000, 50);
    t.diagnostic(`promotion ${p.id} in force in the scorer after ${at - p.at} ms`);
    assert.ok(at - p.at < 1000, `the scorer took ${at - p.at} ms to follow promotion ${p.id}`);
  }
  const meta = (await store.load(second.id)).meta;
  assert.equal(meta.status, 'promoted');
  const guard = JSON.parse(meta.guard!) as { passed: boolean; canary_recall: Record<string, number>; window: { kept: number } };
  assert.equal(guard.passed, true);
  assert.deepEqual(Object.keys(guard.canary_recall).sort(), ['dnstunnel', 'portscan', 'synflood']);
  assert.ok(guard.window.kept > (await store.load(first.id)).meta.n_samples, 'the second window holds both captures');
  assert.equal(await store.activeId(scope), second.id);
});

test('an attack seen during a window stays out of the next model; with it included the guard refuses the model', { timeout: 300_000 }, async (t) => {
  const scope = `${run}-main`;
  const before = await store.activeId(scope);
  assert.ok(before, 'the first test promoted a model');
  // The scorer of the first test is still running and scores the attack as it arrives.
  await publish('attack');
  const published = await readTopic<Flow>(topics.flows, 'flow', (r) => r.length > 0, { settleMs: 1000 });
  const scored = await scoredOf(published.length);
  const scanFlagged = scored.filter((s) => s.flow.src_ip === '10.0.0.66' && s.anomaly === -1).length;
  assert.ok(scanFlagged > 1000, `the scorer flagged ${scanFlagged} of the scan's 1024 flows`);

  // Excluded (the default): the scan's flows are left out, the model passes and is promoted.
  const clean = await runNids(trainer(scope, '--every', '0'), { NIDS_LOG_LEVEL: 'warn' });
  const cleanId = clean.stdout.trim();
  const cleanMeta = (await store.load(cleanId)).meta;
  const counts = (JSON.parse(cleanMeta.guard!) as { window: { flagged: number; incident_hosts: number; kept: number } }).window;
  assert.ok(counts.flagged >= scanFlagged, `flagged flows left out: ${counts.flagged}`);
  assert.equal(cleanMeta.status, 'promoted');
  assert.equal(await store.activeId(scope), cleanId);

  // Included: the same window with nothing left out trains a model blind to scans; the guard refuses it.
  const dirty = startNids(trainer(scope, '--every', '0', '--no-exclude-flagged', '--no-exclude-incident-hosts'));
  const done = await dirty.exited;
  assert.equal(done.code, 1, `a refused model fails the one-shot turn\n${done.stderr}`);
  const dirtyId = done.stdout.trim();
  assert.notEqual(dirtyId, cleanId);
  const dirtyMeta = (await store.load(dirtyId)).meta;
  assert.equal(dirtyMeta.status, 'refused');
  assert.match(dirtyMeta.refused_reason!, /canary portscan caught/);
  t.diagnostic(`left out: ${JSON.stringify(counts)}; refused: ${dirtyMeta.refused_reason}`);
  assert.equal(await store.activeId(scope), cleanId, 'a refused model is never promoted');

  // An operator's excluded range overrides nothing else and removes the attack hour entirely.
  const marked = await runNids(['baseline', 'mark', '--redis', stack.redis, '--from', '2026-11-02T11:00:00Z', '--to', '2026-11-02T12:00:00Z', '--exclude']);
  assert.match(marked.stdout, /^exclude 2026-11-02T11:00:00/);
  try {
    const ruled = await runNids(trainer(scope, '--every', '0', '--no-exclude-flagged', '--no-exclude-incident-hosts', '--no-promote'));
    const ruledCounts = (JSON.parse((await store.load(ruled.stdout.trim())).meta.guard!) as { passed: boolean; window: { excluded_ranges: number } });
    assert.equal(ruledCounts.window.excluded_ranges, published.filter((f) => f.ts_start >= Date.parse('2026-11-02T11:00:00Z') * 1000).length);
    assert.equal(ruledCounts.passed, true);
  } finally {
    await runNids(['baseline', 'clear', '--redis', stack.redis]);
  }

  const diff = await runNids(['model', 'diff', '--redis', stack.redis, cleanId, dirtyId]);
  assert.match(diff.stdout, /\*status +promoted +-> +refused/);
  assert.match(diff.stdout, /\*guard +passed: .* -> +refused: /);
});

test('rollback goes back along the scope\'s history; retention prunes old models; two scopes coexist', { timeout: 120_000 }, async () => {
  const a = `${run}-a`;
  const b = `${run}-b`;
  const ids: string[] = [];
  for (const seed of ['41', '42', '43']) {
    const r = await runNids(trainer(a, '--every', '0', '--no-guard', '--seed', seed, '--retain', '2'));
    ids.push(r.stdout.trim());
  }
  const onlyB = (await runNids(trainer(b, '--every', '0', '--no-guard', '--seed', '44'))).stdout.trim();
  assert.equal(new Set([...ids, onlyB]).size, 4, 'four distinct models');
  assert.equal(await store.activeId(a), ids[2]);
  assert.equal(await store.activeId(b), onlyB);
  // Retention 2: the oldest of scope a is gone, scope b untouched.
  await assert.rejects(store.load(ids[0]!), /not in Redis/);
  await store.load(onlyB);

  const back = await runNids(['model', 'rollback', '--redis', stack.redis, '--scope', a]);
  assert.match(back.stdout, new RegExp(`${ids[2]} -> ${ids[1]}`));
  assert.equal(await store.activeId(a), ids[1]);
  assert.equal(await store.activeId(b), onlyB, 'a rollback in one scope leaves the other alone');
  // Nothing older is stored any more: a second rollback says so and changes nothing.
  const none = startNids(['model', 'rollback', '--redis', stack.redis, '--scope', a]);
  const r = await none.exited;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no earlier model/);
  assert.equal(await store.activeId(a), ids[1]);
});

test('three sensors on one topic: per-sensor models where they exist, the global one elsewhere, sensor_id on every output', { timeout: 240_000 }, async () => {
  const scope = `${run}-multi`;
  const multi = { flows: `${run}.multi.flows`, scored: `${run}.multi.scored`, anomalies: `${run}.multi.anomalies`, incidents: `${run}.multi.incidents`, dlq: `${run}.multi.dlq` };
  await createTopics(stack.brokers, [multi.scored, multi.anomalies, multi.incidents, multi.dlq]);
  await createTopics(stack.brokers, [multi.flows], 6);
  const multiArgs = ['--flows-topic', multi.flows, '--scored-topic', multi.scored, '--anomalies-topic', multi.anomalies, '--incidents-topic', multi.incidents, '--dlq-topic', multi.dlq];
  const sensors = { 'site-a': 'benign1', 'site-b': 'benign2', 'site-c': 'short' } as const;
  await Promise.all(Object.entries(sensors).map(([id, name]) =>
    runNids(['sensor', '--brokers', stack.brokers, '--registry', stack.registry, '--flows-topic', multi.flows, '--input', pcap(name), '--sensor-id', id])));

  const base = ['trainer', ...common, ...multiArgs, '--scope', scope, '--every', '0', '--no-guard', '--min-flows', '400'];
  const global = (await runNids(base)).stdout.trim();
  // Per sensor: site-c's 30 s are below --min-flows, so it gets no model of its own (the turn says so, exit 1).
  const perSensor = await startNids([...base, '--scope-by', 'sensor']).exited;
  assert.equal(perSensor.code, 1, perSensor.stderr);
  assert.match(perSensor.stderr, /not training .*@site-c/);
  const own = new Map(perSensor.stdout.trim().split('\n').map((l) => l.split(' ').reverse() as [string, string]));
  assert.deepEqual([...own.keys()].sort(), [`${scope}@site-a`, `${scope}@site-b`]);

  // After training, site-b also sees a port scan: the flagged flows and their anomalies must
  // name site-b (benign traffic alone may raise no anomaly at all).
  await runNids(['sensor', '--brokers', stack.brokers, '--registry', stack.registry, '--flows-topic', multi.flows, '--input', pcap('attack'), '--sensor-id', 'site-b']);
  const port = await freePort();
  const scorer = startNids(['scorer', ...common, ...multiArgs, '--scope', scope, '--group-id', `${run}-multi-scorer`, '--metrics-port', String(port)]);
  running.push(scorer);
  const published = await readTopic<Flow>(multi.flows, 'flow', (r) => r.length > 0, { settleMs: 1000 });
  const scored = await readTopic<ScoredFlow>(multi.scored, 'scoredFlow', (r) => new Set(r.map((x) => x.flow.flow_id)).size >= published.length, { timeoutMs: 120_000, settleMs: 500 });
  const modelsOf = (sensor: string) => new Set(scored.filter((x) => x.flow.sensor_id === sensor).map((x) => x.model_id));
  assert.deepEqual(modelsOf('site-a'), new Set([own.get(`${scope}@site-a`)]));
  assert.deepEqual(modelsOf('site-b'), new Set([own.get(`${scope}@site-b`)]));
  assert.deepEqual(modelsOf('site-c'), new Set([global]), 'a sensor without its own model falls back to the global one');
  const flagged = new Map(scored.filter((x) => x.anomaly === -1).map((x) => [x.flow.flow_id, x.flow.sensor_id]));
  assert.ok([...flagged.values()].filter((id) => id === 'site-b').length > 1000, 'the scan seen by site-b is flagged');
  const anomalies = await readTopic<Anomaly>(multi.anomalies, 'anomaly', (r) => new Set(r.map((a) => a.flow_id)).size >= flagged.size, { timeoutMs: 60_000, settleMs: 500 });
  for (const a of anomalies) assert.equal(a.sensor_id, flagged.get(a.flow_id), 'each anomaly names the sensor that saw its flow');

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const id of Object.keys(sensors)) {
    const n = Number(new RegExp(`nids_scorer_sensor_flows_total\\{sensor_id="${id}"[^}]*\\} (\\d+)`).exec(metrics)?.[1]);
    assert.ok(n >= published.filter((f) => f.sensor_id === id).length, `per-sensor flows of ${id}: ${n}`);
  }
  assert.match(metrics, new RegExp(`nids_scorer_model_info\\{scope="${scope}@site-a",model_id="${own.get(`${scope}@site-a`)}"`));
  assert.match(metrics, /nids_scorer_consumer_lag\{partition="\d"[^}]*\} \d+/);
  assert.match(metrics, new RegExp(`nids_scorer_model_age_seconds\\{scope="${scope}"[^}]*\\} \\d`));
  assert.match(metrics, /nids_scorer_model_reload_failures\{[^}]*\} 0/);
  await scorer.stop();
});
