// The sensor binary capturing live: `nids sensor --iface <veth>` as its own process on the
// host end of a veth into a private namespace, known traffic, SIGTERM, and then the flows
// topic must hold exactly the generated conversations (open ones exported at shutdown).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Flow } from '../../lib/flow/record.ts';
import { startNids, waitFor, type Running } from '../helpers/proc.ts';
import { readTopic } from '../helpers/topic.ts';
import { createTopics, stackEndpoints, uniqueName } from '../helpers/stack.ts';
import { generateTraffic, liveCaptureSkipReason, TCP_PORT, UDP_PORT, useVethLab } from '../helpers/netns.ts';

const stack = stackEndpoints();
const skip = liveCaptureSkipReason();
const N_TCP = 3;
const M_UDP = 2;
let sensor: Running | null = null;

after(async () => {
  await sensor?.stop(5000);
});
const lab = useVethLab('e', skip);

async function readFlowsTopic(topic: string, expected: number): Promise<Flow[]> {
  const flows = await readTopic<Flow>(topic, 'flow', (r) => r.length >= expected);
  return flows.map((f) => JSON.parse(JSON.stringify(f)) as Flow);
}

test('nids sensor --iface: live flows on the topic after SIGTERM, open ones exported at shutdown', { skip, timeout: 180_000 }, async () => {
  const l = lab();
  const topic = uniqueName('e2e-live.flows');
  await createTopics(stack.brokers, [topic]);
  sensor = startNids(
    ['sensor', '--iface', l.hostIf, '--filter', `host ${l.peerAddr}`, '--brokers', stack.brokers, '--registry', stack.registry,
      '--flows-topic', topic, '--sensor-id', 'e2e-live', '--linger-ms', '50'],
    { NIDS_LOG_LEVEL: 'info' },
  );
  const s = sensor;
  const port = await waitFor('the sensor to capture', () => {
    const err = s.output().stderr;
    if (s.child.exitCode !== null) throw new Error(`the sensor exited (${s.child.exitCode}):\n${err}`);
    return err.includes('"msg":"capturing"') ? Number(/"port":(\d+)/.exec(err)?.[1]) : undefined;
  }, 60_000);

  const exchanges = await generateTraffic(l.peerAddr, N_TCP, M_UDP);
  await new Promise((r) => setTimeout(r, 500));
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const captured = Number(/^nids_sensor_capture_packets_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
  assert.ok(captured >= N_TCP * 7 + M_UDP * 2, `nids_sensor_capture_packets_total ${captured}\n${metrics.slice(0, 2000)}`);
  assert.match(metrics, /^nids_sensor_capture_truncated_total\{[^}]*\} 0$/m);

  const done = await s.stop();
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /all open flows exported and acknowledged/);

  const flows = await readFlowsTopic(topic, N_TCP + M_UDP);
  assert.equal(flows.length, N_TCP + M_UDP, JSON.stringify(flows.map((f) => [f.protocol, f.src_port, f.dst_port])));
  for (const x of exchanges) {
    const f = flows.find((g) => g.protocol === x.protocol && g.src_port === x.srcPort);
    assert.ok(f, `no flow for ${x.protocol}/${x.srcPort}`);
    assert.deepEqual(
      [f.sensor_id, f.src_ip, f.dst_ip, f.dst_port, f.payload_bytes_fwd, f.payload_bytes_rev],
      ['e2e-live', l.hostAddr, l.peerAddr, x.protocol === 6 ? TCP_PORT : UDP_PORT, x.sent, x.received],
    );
    if (x.protocol === 17) {
      assert.deepEqual([f.packets_fwd, f.packets_rev, f.end_reason], [1, 1, 'shutdown'], 'UDP flows were still open: exported at SIGTERM');
    } else {
      assert.deepEqual([f.handshake_complete, f.end_reason], [true, 'fin']);
    }
  }
});
