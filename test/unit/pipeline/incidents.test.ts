import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentTracker } from '../../../lib/pipeline/incidents.ts';
import type { Anomaly } from '../../../lib/avro/records.ts';

const anomaly = (i: number, over: Partial<Anomaly> = {}): Anomaly => ({
  flow_id: `f-${i}`, community_id: 'c', sensor_id: 's', ts_start: 1e15 + i * 1000, ts_end: 1e15 + i * 1000, src_ip: '10.0.0.66', dst_ip: '10.0.0.2',
  src_port: 2000 + i, dst_port: 53, protocol: 17, packets: 1, bytes: 148, score: -0.5, threshold: -0.6, severity: 'high',
  reasons: [{ feature: 'host.flood', value: i, baseline: 3, text: `10.0.0.66: ${i} unanswered flows in 10 s` }], model_id: 'm', detected_at: 0, ...over,
});

test('a flood is one incident; a quiet gap ends it; flow anomalies group per victim', () => {
  const t = new IncidentTracker();
  const flood = Array.from({ length: 10_000 }, (_, i) => anomaly(i));
  assert.deepEqual(t.add(flood), []);
  const spoofed = Array.from({ length: 50 }, (_, i) => anomaly(i, { src_ip: `198.51.100.${i}`, dst_ip: '10.0.0.5', dst_port: 80, protocol: 6, reasons: [{ feature: 'syn_share', value: 1, baseline: 0.1, text: 'share of SYN packets = 1' }] }));
  assert.deepEqual(t.add(spoofed), []);
  // 10 minutes later: the flood incident is closed by the next anomaly's time.
  const closed = t.add([anomaly(700_000, { src_ip: '10.0.0.9' })]);
  assert.equal(closed.length, 2);
  const f = closed.find((i) => i.behaviour === 'flood')!;
  assert.equal(f.flows, 10_000);
  assert.equal(f.victim_count, 1);
  assert.equal(f.source_count, 1);
  assert.equal(f.severity, 'high');
  assert.match(f.top_reasons[0]!, /unanswered flows/);
  const s = closed.find((i) => i.behaviour === 'flow.syn_share')!;
  assert.equal(s.source_count, 50);
  assert.equal(t.flush().length, 1);
});
