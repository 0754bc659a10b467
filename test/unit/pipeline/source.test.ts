// The sensor's packet side end to end on a simulated capture: flows come out, and the
// flow table's counters are on /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { readFlows } from '../../../lib/pipeline/source.ts';
import { writeSimulatedPcap } from '../../../lib/sim/pcap.ts';
import type { Flow } from '../../../lib/flow/record.ts';

for (const threads of [1, 2]) test(`flows from a capture, with packet and flow counters exported as metrics (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
  const pcap = join(mkdtempSync(join(tmpdir(), 'nids-sensor-')), 'sim.pcap');
  const sim = await writeSimulatedPcap(pcap, { seed: 5, durationS: 30, startMicros: 1.7e15, hosts: 5, flowsPerSecond: 4, attacks: ['portscan'] });
  const registry = new Registry();
  const flows: Flow[] = [];
  const stats = await readFlows(pcap, { sensorId: 's1', idleTimeoutS: 60, activeTimeoutS: 300, maxFlows: 10_000, maxSources: 10_000, contextWindowS: 60, replaySpeed: 0, threads }, registry, (f) => flows.push(f));
  assert.equal(stats.packets, sim.packets);
  assert.ok(flows.length >= sim.attackFlows, `${flows.length} flows for ${sim.attackFlows} attack flows`);
  assert.ok(flows.every((f) => f.sensor_id === 's1'));
  const text = await registry.metrics();
  assert.match(text, new RegExp(`nids_sensor_packets_seen ${sim.packets}`));
  const exported = [...text.matchAll(/nids_sensor_flows_exported\{reason="\w+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(exported, flows.length);
  assert.match(text, /nids_sensor_packets_dropped\{reason="truncated_ip"\} 0/);
});
