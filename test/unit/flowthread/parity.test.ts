// The flow thread (lib/flowthread) gives exactly what one thread gives: the same flows in the
// same order (ctx_* and host statistics included, which depend on that order), the same
// counters, on a simulated capture with every attack, under flow and source evictions, with
// fragments, and on a damaged file; and it stops cleanly on abort, on a bad file and when the
// consumer throws (the worker ends: a leftover worker would keep this test from finishing).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowsFromPcap, type PcapFlowStats } from '../../../lib/flow/from-pcap.ts';
import { flowsFromPcapInThread } from '../../../lib/flowthread/from-pcap.ts';
import { BATCH_ROWS } from '../../../lib/flowthread/protocol.ts';
import type { FlowTableOptions } from '../../../lib/flow/table.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { writeSimulatedPcap } from '../../../lib/sim/pcap.ts';
import { ATTACKS } from '../../../lib/sim/scenario.ts';
import { createPcapWriter } from '../../../lib/pcap/writer.ts';
import { ethernet, ipv4, udp } from '../../../lib/sim/frames.ts';
import { PcapFormatError } from '../../../lib/pcap/reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-flowthread-'));
const sim = join(dir, 'sim.pcap');
const T0 = 1.7e15;

type Options = Omit<FlowTableOptions, 'onExport' | 'onRecord'>;

async function both(path: string, opts: Options): Promise<{ one: Flow[]; two: Flow[]; oneStats: PcapFlowStats; twoStats: PcapFlowStats }> {
  const one: Flow[] = [];
  const two: Flow[] = [];
  const oneStats = await flowsFromPcap(path, opts, (f) => one.push(f));
  const twoStats = await flowsFromPcapInThread(path, opts, (f) => two.push(f));
  return { one, two, oneStats, twoStats };
}

before(async () => {
  await writeSimulatedPcap(sim, { seed: 7, durationS: 120, startMicros: T0, hosts: 20, flowsPerSecond: 20, attacks: [...ATTACKS] });
});

test('a simulated capture with every attack: the same flows, in the same order, and the same counters', async () => {
  const r = await both(sim, { sensorId: 'p' });
  assert.ok(r.one.length > 2 * BATCH_ROWS, `${r.one.length} flows: several batches`);
  assert.ok(r.one.some((f) => f.dns_qname !== null), 'DNS names cross the threads too');
  assert.deepEqual(r.two, r.one);
  assert.deepEqual(r.twoStats, r.oneStats);
});

test('at the caps (flows evicted, sources dropped) the same flows and counters', async () => {
  const r = await both(sim, { sensorId: 'p', maxFlows: 64, maxSources: 8, idleTimeoutS: 5 });
  assert.ok(r.oneStats.evictions > 0 && r.oneStats.sourceEvictions > 0, 'both caps reached');
  assert.deepEqual(r.two, r.one);
  assert.deepEqual(r.twoStats, r.oneStats);
});

test('fragments reach their flow on both paths; an orphan fragment is counted alike', async () => {
  const path = join(dir, 'fragments.pcap');
  const w = createPcapWriter(path);
  const [a, b] = [[10, 0, 0, 7], [10, 0, 0, 8]] as const;
  for (let i = 0; i < 50; i++) {
    const id = 100 + i;
    const t = T0 + i * 1000;
    w.write(t, ethernet(ipv4([...a], [...b], 17, udp(6000 + i, 5000, new Uint8Array(1472)), { id, mf: true })));
    w.write(t + 10, ethernet(ipv4([...a], [...b], 17, new Uint8Array(1480), { id, frag: 185, mf: true })));
    w.write(t + 20, ethernet(ipv4([...a], [...b], 17, new Uint8Array(1048), { id, frag: 370 })));
  }
  w.write(T0 + 60_000, ethernet(ipv4([...a], [...b], 17, new Uint8Array(100), { id: 9, frag: 370 })));
  await w.close();
  const r = await both(path, { sensorId: 'p' });
  assert.equal(r.one.length, 50);
  assert.ok(r.one.every((f) => f.packets_fwd === 3 && f.payload_bytes_fwd === 1472 + 1480 + 1048));
  assert.deepEqual(r.two, r.one);
  assert.deepEqual(r.twoStats, r.oneStats);
  assert.equal(r.twoStats.decodeErrors.orphan_fragment, 1);
});

test('a damaged record in the middle: the same flows before it, the same damage reported', async () => {
  const bytes = new Uint8Array(readFileSync(sim));
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  // Walk the classic pcap records to the middle one and claim it captured 0 bytes.
  let at = 24;
  let n = 0;
  while (at < bytes.length / 2) {
    at += 16 + dv.getUint32(at + 8, true);
    n++;
  }
  const damaged = bytes.slice();
  new DataView(damaged.buffer).setUint32(at + 8, 0, true);
  const path = join(dir, 'damaged.pcap');
  writeFileSync(path, damaged);
  const r = await both(path, { sensorId: 'p' });
  assert.ok(r.oneStats.damage !== null && r.oneStats.packets === n);
  assert.deepEqual(r.two, r.one);
  assert.deepEqual(r.twoStats, r.oneStats);
});

test('abort: the reading stops, every open flow is still exported, the result says aborted', async () => {
  const stop = new AbortController();
  const flows: Flow[] = [];
  const st = await flowsFromPcapInThread(sim, { sensorId: 'p' }, (f) => {
    flows.push(f);
    stop.abort();
  }, { signal: stop.signal });
  assert.equal(st.aborted, true);
  assert.equal(st.flowsOpen, 0);
  assert.ok(st.packets > 0);
  const exported = Object.values(st.flowsExported).reduce((a, b) => a + b, 0);
  assert.equal(exported, flows.length, 'every flow the table ended reached the consumer');
  assert.ok(flows.some((f) => f.end_reason === 'shutdown'));
});

test('a file that is not a capture fails with the one-thread error; a consumer that throws fails the read', async () => {
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'not a capture at all, just some text that is long enough');
  const one = await flowsFromPcap(junk, { sensorId: 'p' }, () => {}).then(() => null, (e: Error) => e);
  const two = await flowsFromPcapInThread(junk, { sensorId: 'p' }, () => {}).then(() => null, (e: Error) => e);
  assert.ok(one instanceof PcapFormatError && two instanceof PcapFormatError);
  assert.equal(two.message, one.message);
  const missing = await flowsFromPcapInThread(join(dir, 'missing.pcap'), { sensorId: 'p' }, () => {}).then(() => null, (e: Error) => e);
  assert.match(String(missing?.message), /missing\.pcap: cannot open \(no such file\)/);
  await assert.rejects(
    flowsFromPcapInThread(sim, { sensorId: 'p' }, () => {
      throw new Error('consumer broke');
    }),
    /consumer broke/,
  );
});
