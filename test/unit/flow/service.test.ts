// The victim-side statistics (lib/flow/service.ts): counts per service and window, the
// distinct-source estimate, the windows sliding, and the service cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceTracker } from '../../../lib/flow/service.ts';
import { makeFlow } from '../../helpers/flows.ts';

const T0 = 1_700_000_000_000_000;
const S = 1e6;

/** A SYN the service answered with a SYN-ACK that the (spoofed) source never acknowledged. */
const syn = (src: string, dst: string, port: number, t: number) =>
  makeFlow({ src_ip: src, dst_ip: dst, dst_port: port, protocol: 6, ts_start: t, ts_end: t, packets_fwd: 1, packets_rev: 2, syn_count: 1, synack_count: 1, handshake_complete: false, payload_bytes_fwd: 0, payload_bytes_rev: 0 });
const session = (src: string, dst: string, port: number, t: number) =>
  makeFlow({ src_ip: src, dst_ip: dst, dst_port: port, protocol: 6, ts_start: t, ts_end: t + 0.2 * S, packets_fwd: 6, packets_rev: 6, syn_count: 1, synack_count: 1, handshake_complete: true, payload_bytes_fwd: 400, payload_bytes_rev: 9000 });
const spoofed = (i: number) => `${(i * 7919) % 223 + 1}.${(i >> 8) & 255}.${i & 255}.${(i * 31) % 254 + 1}`;

test('a flood of one SYN from each of 1,000 sources: counted per service, its sources estimated within 30 %', () => {
  const tracker = new ServiceTracker(1000);
  let last = tracker.observe(session('10.0.0.100', '10.0.0.5', 80, T0));
  for (let i = 0; i < 1000; i++) last = tracker.observe(syn(spoofed(i), '10.0.0.5', 80, T0 + 0.1 * S + i * 500));
  assert.deepEqual(last.flows, [1001, 1001]);
  assert.deepEqual(last.unserved, [1000, 1000]);
  for (const n of [...last.sources, ...last.unservedSources]) assert.ok(n > 700 && n < 1300, `estimate ${n}`);
  // Another service of the same host is its own.
  const other = tracker.observe(session('10.0.0.100', '10.0.0.5', 443, T0 + 0.7 * S));
  assert.deepEqual([other.flows, other.unserved, other.sources, other.unservedSources], [[1, 1], [0, 0], [1, 1], [0, 0]]);
});

/** Two sources sharing one of the 32 registers count once: a small estimate may be one short. */
const near = (got: number[], want: number[]) => got.forEach((g, k) => assert.ok(Math.abs(g - want[k]!) <= 1, `${got} for ${want}`));

test('small source counts are within one, answered flows are not unserved, and the 1 s window slides while the 10 s one holds', () => {
  const tracker = new ServiceTracker(1000);
  let s = tracker.observe(session('10.0.0.100', '10.0.0.2', 443, T0));
  for (let i = 1; i < 5; i++) s = tracker.observe(session(`10.0.0.${100 + i}`, '10.0.0.2', 443, T0 + i * 0.1 * S));
  assert.deepEqual([s.flows, s.unserved, s.unservedSources], [[5, 5], [0, 0], [0, 0]]);
  near(s.sources, [5, 5]);
  s = tracker.observe(syn('10.0.0.200', '10.0.0.2', 443, T0 + 3 * S));
  assert.deepEqual([s.flows, s.unserved, s.unservedSources], [[1, 6], [1, 1], [1, 1]]);
  near(s.sources, [1, 6]);
  s = tracker.observe(session('10.0.0.100', '10.0.0.2', 443, T0 + 14 * S));
  assert.deepEqual([s.flows, s.unserved], [[1, 1], [0, 0]], 'both windows have slid past the earlier flows');
});

test('services are capped: active ones dropped beyond the cap are counted, idle ones are not', () => {
  const tracker = new ServiceTracker(100);
  for (let p = 0; p < 150; p++) tracker.observe(syn('10.0.0.66', '10.0.0.5', 1000 + p, T0 + p * 1000));
  assert.ok(tracker.trackedServices <= 100);
  assert.equal(tracker.evictions, 50);
  const idle = new ServiceTracker(100);
  for (let p = 0; p < 150; p++) idle.observe(syn('10.0.0.66', '10.0.0.5', 1000 + p, T0 + p * 20 * S));
  assert.equal(idle.evictions, 0);
});
