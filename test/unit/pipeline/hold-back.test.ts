import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HoldBack } from '../../../lib/pipeline/hold-back.ts';
import { toAnomaly, type Anomaly, type ScoredFlow } from '../../../lib/avro/records.ts';
import type { ScoredBatch } from '../../../lib/pipeline/score.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { makeFlow } from '../../helpers/flows.ts';

const T0 = 1_700_000_000_000_000;
const S = 1e6;

const scored = (f: Flow, anomaly: 1 | -1 = 1, reasons: string[] = []): ScoredFlow => ({ flow: f, score: -0.4, anomaly, threshold: -0.5, model_id: 'm', feature_version: 'v', reasons, scored_at: 0 });

/** An SSH attempt of 10.0.0.66 to 10.0.0.2 at second `t`. */
const attempt = (id: string, t: number, over: Partial<Flow> = {}): Flow =>
  makeFlow({ flow_id: id, src_ip: '10.0.0.66', dst_ip: '10.0.0.2', dst_port: 22, ts_start: T0 + t * S, ts_end: T0 + t * S + 0.5 * S, ...over });

function batch(normal: Flow[], flagged: { flow: Flow; behaviour: string }[] = []): ScoredBatch {
  const out: ScoredBatch = { scored: normal.map((f) => scored(f)), anomalies: [] };
  for (const { flow, behaviour } of flagged) {
    const s = scored(flow, -1, [`${behaviour} reason`]);
    out.scored.push(s);
    out.anomalies.push(toAnomaly(s, 'high', [{ feature: `host.${behaviour}`, value: 9, baseline: 1, text: `${behaviour} reason` }], 0));
  }
  return out;
}

const ids = (xs: readonly { flow_id: string }[]): string[] => xs.map((x) => x.flow_id).sort();
const flowIds = (xs: readonly ScoredFlow[]): string[] => ids(xs.map((s) => s.flow));

test('a brute force detected at its fifth session flags the four held before it, with its reasons, and not the source\'s web flow', () => {
  const hb = new HoldBack({ holdS: 60, maxHeld: 1000 });
  const web = makeFlow({ flow_id: 'web', src_ip: '10.0.0.66', ts_start: T0, ts_end: T0 + S });
  const first = hb.take(batch([attempt('a1', 1), attempt('a2', 2), attempt('a3', 3, { payload_bytes_fwd: 0, packets_fwd: 2 }), attempt('a4', 4), web]), 0);
  assert.deepEqual(first.scored, [], 'normal flows wait');
  const out = hb.take(batch([], [{ flow: attempt('a5', 5), behaviour: 'brute_force' }]), 7);
  assert.deepEqual(flowIds(out.scored), ['a1', 'a2', 'a3', 'a4', 'a5']);
  assert.deepEqual(ids(out.anomalies), ['a1', 'a2', 'a3', 'a4', 'a5']);
  for (const s of out.scored) {
    assert.equal(s.anomaly, -1);
    assert.deepEqual(s.reasons, ['brute_force reason']);
  }
  const a1 = out.anomalies.find((a: Anomaly) => a.flow_id === 'a1')!;
  assert.equal(a1.reasons[0]!.feature, 'host.brute_force', 'a flagged flow joins the trigger\'s incident');
  assert.equal(a1.detected_at, 7);
  assert.deepEqual(hb.stats, { held: 1, flagged: 4, overflow: 0 });
  const rest = hb.flush();
  assert.deepEqual(flowIds(rest), ['web']);
  assert.equal(rest[0]!.anomaly, 1);
});

test('a held flow is released once the traffic has gone on the hold time past its end, in arrival order', () => {
  const hb = new HoldBack({ holdS: 10, maxHeld: 1000 });
  assert.deepEqual(hb.take(batch([attempt('a1', 0), attempt('a2', 5)]), 0).scored, []);
  const out = hb.take(batch([makeFlow({ flow_id: 'later', src_ip: '10.0.0.9', ts_start: T0 + 11 * S, ts_end: T0 + 12 * S })]), 0);
  assert.deepEqual(flowIds(out.scored), ['a1'], 'a2 ended at 5.5 s: 12 s is not yet 10 s past it');
  // A brute force from the same source now cannot reach a1 any more, only a2.
  const late = hb.take(batch([], [{ flow: attempt('a9', 12), behaviour: 'brute_force' }]), 0);
  assert.deepEqual(flowIds(late.scored), ['a2', 'a9']);
  assert.deepEqual(flowIds(hb.flush()), ['later']);
  assert.equal(hb.stats.held, 0);
});

test('only flows of the behaviour\'s victim and shape are flagged: a scan flags probes to its victim, a sweep probes anywhere', () => {
  const hb = new HoldBack();
  const probe = (id: string, dst: string, port: number) => makeFlow({ flow_id: id, src_ip: '10.0.0.66', dst_ip: dst, dst_port: port, packets_fwd: 1, packets_rev: 1, payload_bytes_fwd: 0, payload_bytes_rev: 0, handshake_complete: false, rst_count: 1 });
  const other = makeFlow({ flow_id: 'other-src', src_ip: '10.0.0.7', dst_ip: '10.0.0.2', packets_fwd: 1, payload_bytes_fwd: 0 });
  hb.take(batch([probe('p1', '10.0.0.2', 80), probe('p2', '10.0.0.3', 81), makeFlow({ flow_id: 'big', src_ip: '10.0.0.66', dst_ip: '10.0.0.2' }), other]), 0);
  const scan = hb.take(batch([], [{ flow: probe('p3', '10.0.0.2', 82), behaviour: 'port_scan' }]), 0);
  assert.deepEqual(flowIds(scan.scored), ['p1', 'p3']);
  const sweep = hb.take(batch([], [{ flow: probe('p4', '10.0.0.4', 83), behaviour: 'host_sweep' }]), 0);
  assert.deepEqual(flowIds(sweep.scored), ['p2', 'p4']);
  assert.deepEqual(flowIds(hb.flush()), ['big', 'other-src']);
});

test('a forest-only anomaly flags nothing held: only a host behaviour speaks for the source\'s earlier flows', () => {
  const hb = new HoldBack();
  hb.take(batch([attempt('a1', 1)]), 0);
  const s = scored(attempt('odd', 2), -1, ['bytes']);
  const out = hb.take({ scored: [s], anomalies: [toAnomaly(s, 'medium', [{ feature: 'bytes_fwd', value: 1, baseline: 0, text: 'bytes' }], 0)] }, 0);
  assert.deepEqual(flowIds(out.scored), ['odd']);
  assert.deepEqual(flowIds(hb.flush()), ['a1']);
});

test('beyond maxHeld the oldest flows are written at once and counted; hold 0 writes everything at once', () => {
  const hb = new HoldBack({ holdS: 60, maxHeld: 2 });
  const out = hb.take(batch([attempt('a1', 1), attempt('a2', 2), attempt('a3', 3), attempt('a4', 4)]), 0);
  assert.deepEqual(flowIds(out.scored), ['a1', 'a2']);
  assert.deepEqual(hb.stats, { held: 2, flagged: 0, overflow: 2 });
  const none = new HoldBack({ holdS: 0 });
  assert.deepEqual(flowIds(none.take(batch([attempt('a1', 1)]), 0).scored), ['a1']);
  assert.equal(none.stats.held, 0);
});

test('a flood\'s thousands of triggers over thousands of held flows: every flow comes out exactly once', () => {
  const hb = new HoldBack();
  const normals = Array.from({ length: 2000 }, (_, i) => makeFlow({ flow_id: `n${i}`, src_ip: '10.0.0.66', dst_ip: '10.0.0.2', ts_start: T0 + i * 1000, ts_end: T0 + i * 1000 + 10 }));
  hb.take(batch(normals), 0);
  const triggers = Array.from({ length: 2000 }, (_, i) => ({ flow: makeFlow({ flow_id: `t${i}`, src_ip: '10.0.0.66', dst_ip: '10.0.0.2', protocol: 17, packets_fwd: 1, packets_rev: 0, payload_bytes_fwd: 10, payload_bytes_rev: 0 }), behaviour: 'flood' }));
  const out = hb.take(batch([], triggers), 0);
  const rest = hb.flush();
  assert.equal(out.scored.length + rest.length, 4000);
  assert.equal(new Set([...out.scored, ...rest].map((s) => s.flow.flow_id)).size, 4000);
});

test('for the hold time after it fired, a behaviour flags the source\'s new flows that take part in it (a slow scan\'s later probes to closed ports)', () => {
  const hb = new HoldBack({ holdS: 60, maxHeld: 1000 });
  const probe = (id: string, t: number, port: number) => makeFlow({ flow_id: id, src_ip: '10.0.0.66', dst_ip: '10.0.0.2', dst_port: port, ts_start: T0 + t * S, ts_end: T0 + t * S + 10, packets_fwd: 1, packets_rev: 1, payload_bytes_fwd: 0, payload_bytes_rev: 0, handshake_complete: false, synack_count: 0, rst_count: 1 });
  hb.take(batch([], [{ flow: probe('open', 0, 22), behaviour: 'port_scan' }]), 0);
  const later = hb.take(batch([probe('closed1', 15, 23), makeFlow({ flow_id: 'web', src_ip: '10.0.0.66', dst_ip: '10.0.0.2', ts_start: T0 + 16 * S, ts_end: T0 + 17 * S })]), 0);
  assert.deepEqual(flowIds(later.scored), ['closed1']);
  assert.deepEqual(ids(later.anomalies), ['closed1']);
  assert.equal(later.anomalies[0]!.reasons[0]!.feature, 'host.port_scan');
  const tooLate = hb.take(batch([probe('closed2', 100, 24)]), 0);
  assert.deepEqual(flowIds(tooLate.scored), ['web'], 'the behaviour expired 60 s after its flow: closed2 waits as a normal flow, web is released');
  assert.deepEqual(flowIds(hb.flush()), ['closed2']);
  assert.equal(hb.stats.flagged, 1);
});
