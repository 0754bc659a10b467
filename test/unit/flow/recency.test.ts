import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecencyEntry, RecencyList } from '../../../lib/flow/recency.ts';
import { HostTracker } from '../../../lib/flow/host.ts';
import { SourceContext, type ContextValues } from '../../../lib/flow/context.ts';
import { makeFlow as flowOf } from '../../helpers/flows.ts';

test('RecencyList: touch moves to most recent; least recent first out', () => {
  const list = new RecencyList<RecencyEntry>();
  for (const k of ['a', 'b', 'c']) list.add(k, new RecencyEntry());
  assert.equal(list.leastRecent!.key, 'a');
  assert.equal(list.touch('a')!.key, 'a');
  assert.equal(list.leastRecent!.key, 'b');
  assert.equal(list.touch('zz'), undefined);
  const order: string[] = [];
  while (list.leastRecent) order.push(list.remove(list.leastRecent).key);
  assert.deepEqual(order, ['b', 'c', 'a']);
  assert.equal(list.size, 0);
});

test('a flood of new sources keeps per-source state at its cap, evictions counted, statistics as for a fresh source', () => {
  const tracker = new HostTracker(100);
  const ctx = new SourceContext(60, 100);
  const out: ContextValues = { observedS: 0, distinctDstPorts: 0, distinctDstHosts: 0, synOnlyShare: 0, flowsPerSecond: 0 };
  for (let i = 0; i < 1000; i++) {
    const src = `100.64.${i >> 8}.${i & 255}`;
    const f = flowOf({ src_ip: src, dst_ip: '10.0.0.5', dst_port: 80, protocol: 6, ts_start: 1.7e15 + i, ts_end: 1.7e15 + i, packets_fwd: 1, packets_rev: 0, syn_count: 1, synack_count: 0, handshake_complete: false });
    const h = tracker.observe(f);
    assert.deepEqual(h.flows, [1, 1, 1]);
    assert.deepEqual(h.unanswered, [1, 1, 1]);
    ctx.observe(src, '10.0.0.5', (6 << 16) | 80, true, 1.7e15 + i, out);
    assert.equal(out.distinctDstPorts, 1);
  }
  assert.ok(tracker.trackedHosts <= 100 && ctx.trackedHosts <= 100);
  assert.equal(tracker.evictions, 900);
  assert.equal(ctx.evictions, 900);
  // A source seen again after its state was dropped starts afresh.
  const again = tracker.observe(flowOf({ src_ip: '100.64.0.0', dst_ip: '10.0.0.5', dst_port: 80, protocol: 6, ts_start: 1.7e15 + 2000, ts_end: 1.7e15 + 2000, packets_fwd: 1, packets_rev: 0, syn_count: 1, synack_count: 0, handshake_complete: false }));
  assert.deepEqual(again.flows, [1, 1, 1]);
});
