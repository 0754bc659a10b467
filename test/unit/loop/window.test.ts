// The baseline window: what is left out and why, and which marks win.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectWindow } from '../../../lib/loop/window.ts';
import { splitHoldback } from '../../../lib/loop/guard.ts';
import { canaryPrefix } from '../../../lib/loop/canaries.ts';
import { makeFlow } from '../../helpers/flows.ts';

const HOUR = 3600e6;
const T0 = 1_790_000_000_000_000;
const flows = Array.from({ length: 10 }, (_, i) => makeFlow({ flow_id: `f-${i}`, ts_start: T0 + i * HOUR, src_ip: i === 7 ? '10.0.0.66' : '10.0.0.5' }));
const settings = { windowS: 5 * 3600, maxFlows: 100, excludeFlagged: true, excludeIncidentHosts: true };

test('the window slides back from the newest flow and leaves out flagged flows and incident hosts', () => {
  const { flows: kept, counts } = selectWindow(flows, { flagged: new Set(['f-8']), incidentHosts: new Set(['10.0.0.66']) }, [], settings);
  assert.deepEqual(kept.map((f) => f.flow_id).sort(), ['f-4', 'f-5', 'f-6', 'f-9']);
  assert.deepEqual(counts, { read: 10, outside: 4, flagged: 1, incident_hosts: 1, excluded_ranges: 0, over_cap: 0, kept: 4 });
});

test('an excluded range is always left out; a clean range is kept even where flagged; the cap keeps the newest', () => {
  const marks = [
    { kind: 'exclude' as const, from: T0 + 5 * HOUR, to: T0 + 6 * HOUR },
    { kind: 'clean' as const, from: T0 + 7 * HOUR, to: T0 + 9 * HOUR },
  ];
  const { flows: kept, counts } = selectWindow(flows, { flagged: new Set(['f-8']), incidentHosts: new Set(['10.0.0.66']) }, marks, { ...settings, maxFlows: 3 });
  assert.deepEqual(kept.map((f) => f.flow_id), ['f-9', 'f-8', 'f-7']);
  assert.equal(counts.excluded_ranges, 1);
  assert.equal(counts.over_cap, 2);
  const off = selectWindow(flows, { flagged: new Set(['f-8']), incidentHosts: new Set(['10.0.0.66']) }, [], { ...settings, excludeFlagged: false, excludeIncidentHosts: false });
  assert.equal(off.counts.kept, 6);
});

test('the held-back slice depends on the flow id only, and is about the share asked', () => {
  const many = Array.from({ length: 5000 }, (_, i) => makeFlow({ flow_id: `flow-${i}` }));
  const a = splitHoldback(many, 0.1);
  const b = splitHoldback([...many].reverse(), 0.1);
  assert.deepEqual(new Set(a.holdback.map((f) => f.flow_id)), new Set(b.holdback.map((f) => f.flow_id)));
  assert.ok(Math.abs(a.holdback.length / many.length - 0.1) < 0.02, `held back ${a.holdback.length}`);
  assert.equal(a.train.length + a.holdback.length, many.length);
});

test('canaries move into the first IPv4 internal range of this network', () => {
  assert.equal(canaryPrefix(['fc00::/7', '192.168.7.0/24', '10.0.0.0/8']), '192.168.7.');
  assert.equal(canaryPrefix(['10.20.0.0/16']), '10.20.0.');
  assert.equal(canaryPrefix(['fc00::/7']), '10.0.0.');
});
