// Issue 10 for the sensor service, on the real stack: damage in the middle of a capture and a
// SIGTERM half way through a read lose nothing that was read. The sensor publishes every flow
// read before the damage (the same flows `nids analyze` scores from that input) and exits 3;
// stopped by SIGTERM it exports the flows read so far, has Kafka acknowledge them, says how
// many, and exits 143. The topic then holds exactly that many flows, none twice.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedPcap } from '../../lib/sim/pcap.ts';
import { CSV_FILE } from '../../lib/pipeline/csv.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { EXIT } from '../../cli/exit.ts';
import { startNids, type Finished, type Running } from '../helpers/proc.ts';
import { readTopic } from '../helpers/topic.ts';
import { createTopics, stackEndpoints, uniqueName } from '../helpers/stack.ts';

const stack = stackEndpoints();
const run = uniqueName('sensor-input');
const dir = mkdtempSync(join(tmpdir(), 'nids-sensor-input-'));
const START = Date.UTC(2026, 10, 2, 9) * 1000;
const capture = join(dir, 'capture.pcap');
const damaged = join(dir, 'damaged.pcap');
const common = ['--brokers', stack.brokers, '--registry', stack.registry];
const running: Running[] = [];

before(async () => {
  await writeSimulatedPcap(capture, { seed: 5, durationS: 60, startMicros: START, hosts: 20, flowsPerSecond: 40, attacks: ['portscan'] });
  // A record with caplen 0 two thirds of the way in: damage, not a cut tail.
  const bytes = new Uint8Array(readFileSync(capture));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let p = 24; p + 16 <= bytes.length; p += 16 + dv.getUint32(p + 8, true)) offsets.push(p);
  const at = offsets[Math.floor((offsets.length * 2) / 3)]!;
  dv.setUint32(at + 8, 0, true);
  writeFileSync(damaged, bytes);
});
after(async () => {
  await Promise.all(running.map((p) => p.stop(5000)));
  rmSync(dir, { recursive: true, force: true });
});

/** The sensor's JSON log line whose message matches `msg`. */
function logLine(r: Finished, msg: RegExp): Record<string, unknown> {
  const line = r.stderr.split('\n').find((l) => l.startsWith('{') && msg.test((JSON.parse(l) as { msg?: string }).msg ?? ''));
  assert.ok(line, `no log line matching ${msg}:\n${r.stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

test('damage in the middle of a capture: the flows before it are all published, exit 3', { timeout: 180_000 }, async () => {
  const topic = `${run}.damaged`;
  await createTopics(stack.brokers, [topic]);
  const analyzed = await startNids(['analyze', '--baseline', capture, '--input', damaged, '--out', join(dir, 'analyze')]).exited;
  assert.equal(analyzed.code, EXIT.DAMAGED, analyzed.stderr);
  const expected = readFileSync(join(dir, 'analyze', CSV_FILE), 'utf8').trimEnd().split('\n').length - 1;
  assert.ok(expected > 100, `too few flows before the damage: ${expected}`);

  const sensor = startNids(['sensor', ...common, '--input', damaged, '--flows-topic', topic, '--sensor-id', 'damaged'], { NIDS_LOG_LEVEL: 'info' });
  running.push(sensor);
  const r = await sensor.exited;
  assert.equal(r.code, EXIT.DAMAGED, r.stderr);
  const warning = logLine(r, /damaged: .*stopped there/);
  assert.ok(warning.damage, 'the warning says where and why');
  const flows = await readTopic<Flow>(topic, 'flow', (xs) => xs.length >= expected, { settleMs: 2000 });
  assert.equal(flows.length, expected, 'the flows nids analyze scores from the same input, no more, no fewer');
  assert.equal(new Set(flows.map((f) => f.flow_id)).size, flows.length, 'no flow twice');
});

test('SIGTERM half way through a read: the flows read so far are acknowledged and counted, exit 143', { timeout: 180_000 }, async () => {
  const topic = `${run}.stopped`;
  await createTopics(stack.brokers, [topic]);
  // One flow per Kafka request and one request in flight: the read is slow enough to stop in the middle.
  const sensor = startNids(['sensor', ...common, '--input', capture, '--flows-topic', topic, '--sensor-id', 'stopped', '--batch-size', '1', '--max-pending', '1', '--linger-ms', '0'], { NIDS_LOG_LEVEL: 'info' });
  running.push(sensor);
  await readTopic<Flow>(topic, 'flow', (xs) => xs.length >= 20, { settleMs: 0 });
  sensor.child.kill('SIGTERM');
  const r = await sensor.exited;
  assert.equal(r.code, EXIT.SIGTERM, r.stderr);
  const summary = logLine(r, /stopped by a signal/);
  const published = summary.published as number;
  assert.equal(summary.partial, true);
  assert.ok(published >= 20, `published ${published}`);
  const flows = await readTopic<Flow>(topic, 'flow', (xs) => xs.length >= published, { settleMs: 2000 });
  assert.equal(flows.length, published, 'the topic holds exactly the flows the sensor says it published');
  assert.equal(new Set(flows.map((f) => f.flow_id)).size, flows.length, 'no flow twice');
  assert.ok(flows.some((f) => f.end_reason === 'shutdown'), 'flows open at the signal are exported, end reason "shutdown"');
});
