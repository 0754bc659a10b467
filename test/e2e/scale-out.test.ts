// Scorers scale out as one consumer group: two scorers share a 6-partition flows topic, one
// is killed with SIGKILL mid-stream and started again. At-least-once delivery must hold:
// every published flow reaches the scored topic (duplicates allowed), and the sink, which
// drops flow ids it already wrote, ends with exactly one CSV row per published flow.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Flow } from '../../lib/flow/record.ts';
import { CSV_FILE } from '../../lib/pipeline/csv.ts';
import { runNids, startNids, waitFor, type Running } from '../helpers/proc.ts';
import { readTopic } from '../helpers/topic.ts';
import { createTopics, ONE_SHOT_TRAINER, stackEndpoints, uniqueName } from '../helpers/stack.ts';

const stack = stackEndpoints();
const run = uniqueName('scale');
const topics = { baseline: `${run}.baseline`, flows: `${run}.flows`, scored: `${run}.scored`, anomalies: `${run}.anomalies`, incidents: `${run}.incidents`, dlq: `${run}.dlq` };
const dir = mkdtempSync(join(tmpdir(), 'nids-scale-'));
const common = ['--brokers', stack.brokers, '--registry', stack.registry];
const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((p) => p.stop(5000)));
});

const scorer = () =>
  startNids(['scorer', ...common, '--redis', stack.redis, '--scope', run, '--group-id', `${run}-scorers`,
    '--flows-topic', topics.flows, '--scored-topic', topics.scored, '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq]);

test('two scorers over 6 partitions, one SIGKILLed and restarted mid-stream: nothing lost, no duplicate CSV row', { timeout: 400_000 }, async () => {
  const baseline = join(dir, 'baseline.pcap');
  const input = join(dir, 'input.pcap');
  await runNids(['simulate', '--out', baseline, '--seed', '21', '--duration', '60']);
  await runNids(['simulate', '--out', input, '--seed', '22', '--duration', '40', '--attacks', 'portscan,synflood']);
  await createTopics(stack.brokers, [topics.baseline, topics.scored, topics.anomalies, topics.incidents, topics.dlq]);
  await createTopics(stack.brokers, [topics.flows], 6);
  await runNids(['sensor', ...common, '--input', baseline, '--flows-topic', topics.baseline, '--sensor-id', 'scale']);
  await runNids([...ONE_SHOT_TRAINER, ...common, '--redis', stack.redis, '--scope', run, '--flows-topic', topics.baseline]);

  const a = scorer();
  const b = scorer();
  const out = join(dir, 'sink');
  const sink = startNids(['sink', ...common, '--out', out, '--group-id', `${run}-sink`, '--scored-topic', topics.scored, '--anomalies-topic', topics.anomalies, '--incidents-topic', topics.incidents, '--dlq-topic', topics.dlq]);
  running.push(a, b, sink);
  // The capture replayed at 4x real time: about 10 s of flows arriving while scorers change.
  const sensor = startNids(['sensor', ...common, '--input', input, '--flows-topic', topics.flows, '--sensor-id', 'scale', '--replay-speed', '4', '--linger-ms', '20']);
  running.push(sensor);

  const csv = join(out, CSV_FILE);
  const rows = () => (existsSync(csv) ? readFileSync(csv, 'utf8').trimEnd().split('\n').slice(1) : []);
  await waitFor('the first scored rows', () => (rows().length > 50 ? true : undefined), 120_000, 100);
  a.child.kill('SIGKILL');
  const killed = await a.exited;
  assert.equal(killed.code, null, 'scorer A was killed, not stopped');
  await new Promise((r) => setTimeout(r, 1500));
  const a2 = scorer();
  running.push(a2);
  const sent = await sensor.exited;
  assert.equal(sent.code, 0, sent.stderr);

  const published = await readTopic<Flow>(topics.flows, 'flow', (r) => r.length > 0, { timeoutMs: 120_000, settleMs: 1500 });
  const publishedIds = new Set(published.map((f) => f.flow_id));
  assert.equal(publishedIds.size, published.length, 'the sensor publishes each flow once');
  assert.ok(published.length > 500, `too few flows to spread over 6 partitions: ${published.length}`);

  // A ScoredFlow carries the flow it scored.
  const scored = (
    await readTopic<{ flow: Flow }>(topics.scored, 'scoredFlow', (r) => {
      const seen = new Set(r.map((s) => s.flow.flow_id));
      return [...publishedIds].every((id) => seen.has(id));
    }, { timeoutMs: 120_000, settleMs: 1500 })
  ).map((s) => s.flow);
  const scoredIds = new Set(scored.map((f) => f.flow_id));
  assert.deepEqual([...scoredIds].sort(), [...publishedIds].sort(), 'every published flow is scored (duplicates allowed)');
  assert.deepEqual(new Set(scored.map((f) => f.community_id)), new Set(published.map((f) => f.community_id)));

  await waitFor('the sink to write every flow', () => (rows().length >= publishedIds.size ? true : undefined), 120_000, 200);
  const [s1, s2, s3] = await Promise.all([sink.stop(), b.stop(), a2.stop()]);
  for (const s of [s1, s2, s3]) assert.equal(s.code, 0, s.stderr);
  const ids = rows().map((r) => r.split(',')[0]!);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate rows in the CSV');
  assert.deepEqual(new Set(ids), publishedIds, 'one CSV row per published flow');
  process.stdout.write(`# published ${published.length} flows, scored ${scored.length} records (${scored.length - scoredIds.size} redelivered)\n`);
});
