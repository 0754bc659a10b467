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
  assert.deepEqual(t.add(flood, 1), []);
  const spoofed = Array.from({ length: 50 }, (_, i) => anomaly(i, { src_ip: `198.51.100.${i}`, dst_ip: '10.0.0.5', dst_port: 80, protocol: 6, reasons: [{ feature: 'syn_share', value: 1, baseline: 0.1, text: 'share of SYN packets = 1' }] }));
  assert.deepEqual(t.add(spoofed, 1), []);
  // 10 minutes later: the flood incident is closed by the next anomaly's time.
  const closed = t.add([anomaly(700_000, { src_ip: '10.0.0.9' })], 2);
  assert.equal(closed.length, 2);
  const f = closed.find((i) => i.behaviour === 'flood')!;
  assert.equal(f.flows, 10_000);
  assert.equal(f.victim_count, 1);
  assert.equal(f.source_count, 1);
  assert.equal(f.severity, 'high');
  assert.match(f.top_reasons[0]!, /unanswered flows/);
  const s = closed.find((i) => i.behaviour === 'flow.syn_share')!;
  assert.equal(s.source_count, 50);
  assert.ok(closed.every((i) => i.status === 'closed' && i.reported_at === 2));
  assert.equal(t.flush(3).length, 1);
});

test('an open incident is reported at once, again only after the interval and only if it grew, then closed under the same id', () => {
  const t = new IncidentTracker();
  t.add([anomaly(0), anomaly(1)], 0);
  const first = t.updates(0, 10e6);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.status, 'open');
  assert.equal(first[0]!.flows, 2);
  t.add([anomaly(2)], 1e6);
  assert.deepEqual(t.updates(1e6, 10e6), [], 'within the interval: no report');
  const second = t.updates(11e6, 10e6);
  assert.equal(second.length, 1);
  assert.equal(second[0]!.incident_id, first[0]!.incident_id);
  assert.equal(second[0]!.flows, 3);
  assert.equal(first[0]!.flows, 2, 'a report made is not changed by later anomalies');
  assert.deepEqual(t.updates(30e6, 10e6), [], 'unchanged since the last report: none');
  const [closed] = t.flush(31e6);
  assert.equal(closed!.status, 'closed');
  assert.equal(closed!.incident_id, first[0]!.incident_id);
  assert.equal(closed!.flows, 3);
});

test('more hosts than --incident-exact-hosts: counted in fixed memory, within 2 %; victims still listed in order', () => {
  const t = new IncidentTracker({ incidentExactHosts: 1_000, maxOpenIncidents: 100 });
  const n = 50_000;
  const addr = (net: string, i: number) => `${net}.${i >> 8}.${i & 255}`;
  // A flood from spoofed sources (grouped per victim) and a sweep from one source (grouped per source).
  const spoofed = Array.from({ length: n }, (_, i) => anomaly(i, { src_ip: addr('100.64', i), dst_ip: '10.0.0.5', reasons: [{ feature: 'syn_share', value: 1, baseline: 0.1, text: 'share of SYN packets = 1' }] }));
  const sweep = Array.from({ length: n }, (_, i) => anomaly(i, { dst_ip: addr('10.1', i) }));
  // Each twice: hosts seen again do not count again.
  t.add([...spoofed, ...sweep], 1);
  t.add([...spoofed, ...sweep].slice(0, 10_000), 1);
  const closed = t.flush(2);
  const flood = closed.find((i) => i.behaviour === 'flow.syn_share')!;
  const swept = closed.find((i) => i.behaviour === 'flood')!;
  assert.equal(flood.flows, n + 10_000);
  assert.ok(Math.abs(flood.source_count / n - 1) < 0.02, `source_count ${flood.source_count} for ${n}`);
  assert.equal(flood.victim_count, 1);
  assert.ok(Math.abs(swept.victim_count / n - 1) < 0.02, `victim_count ${swept.victim_count} for ${n}`);
  assert.equal(swept.source_count, 1);
  assert.deepEqual(swept.victims, Array.from({ length: 20 }, (_, i) => addr('10.1', i)));
});

test('--max-open-incidents: the least recently joined incident is closed early and counted', () => {
  const t = new IncidentTracker({ incidentExactHosts: 100, maxOpenIncidents: 3 });
  const of = (src: string, i: number) => anomaly(i, { src_ip: src });
  assert.deepEqual(t.add([of('10.0.0.1', 0), of('10.0.0.2', 1), of('10.0.0.3', 2), of('10.0.0.1', 3)], 1), []);
  const early = t.add([of('10.0.0.4', 4)], 1);
  assert.deepEqual(early.map((i) => [i.src_ip, i.status, i.flows]), [['10.0.0.2', 'closed', 1]]);
  assert.equal(t.evictions, 1);
  assert.deepEqual(t.flush(2).map((i) => [i.src_ip, i.flows]), [['10.0.0.1', 2], ['10.0.0.3', 1], ['10.0.0.4', 1]]);
});

test('service_flood anomalies from thousands of spoofed sources are one incident per victim service', () => {
  const t = new IncidentTracker();
  const flood = (victim: string, port: number, from: number) =>
    Array.from({ length: 2000 }, (_, i) =>
      anomaly(from + i, { src_ip: `198.51.${i >> 8}.${i & 255}`, dst_ip: victim, dst_port: port, protocol: 6, reasons: [{ feature: 'host.service_flood', value: 900, baseline: 3, text: `${victim}:${port}/tcp: ${i} handshakes left unanswered or half-open` }] }),
    );
  t.add([...flood('10.0.0.5', 80, 0), ...flood('10.0.0.5', 443, 0), ...flood('10.0.0.6', 80, 0)], 1);
  const closed = t.flush(2);
  assert.equal(closed.length, 3);
  for (const inc of closed) {
    assert.equal(inc.behaviour, 'service_flood');
    assert.equal(inc.flows, 2000);
    assert.equal(inc.source_count, 2000);
    assert.equal(inc.victim_count, 1);
  }
  assert.deepEqual(closed.map((i) => i.incident_id.split('/').slice(0, 2).join('/')).sort(), ['to 10.0.0.5:443/6', 'to 10.0.0.5:80/6', 'to 10.0.0.6:80/6']);
});
