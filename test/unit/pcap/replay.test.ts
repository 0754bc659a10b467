// --replay-speed on a file written by our pcap writer: packets spanning 2 s of timestamps
// take about 2 s / N at speed N, and no time at all at speed 0; through the reader and
// through the sensor's source (the path the --replay-speed setting takes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPcapWriter } from '../../../lib/pcap/writer.ts';
import { readPcapFile } from '../../../lib/pcap/reader.ts';
import { udpFrame } from '../../../lib/sim/frames.ts';
import { readFlows } from '../../../lib/pipeline/source.ts';
import type { Flow } from '../../../lib/flow/record.ts';

const T0 = 1_700_000_000_000_000;
const SPAN_US = 2_000_000;
const PACKETS = 21; // one every 100 ms, the last 2 s after the first

async function twoSecondCapture(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-replay-')), 'span.pcap');
  const w = createPcapWriter(path);
  for (let i = 0; i < PACKETS; i++) {
    w.write(T0 + (i * SPAN_US) / (PACKETS - 1), udpFrame({ ip: '10.0.0.1', port: 5000 + (i % 3) }, { ip: '10.0.0.2', port: 53 }, new Uint8Array(40)));
  }
  await w.close();
  return path;
}

const seconds = async (run: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
};

test('replaySpeed 4 plays 2 s of capture in about 0.5 s; 0 reads at once', async () => {
  const path = await twoSecondCapture();
  const at: number[] = [];
  let t0 = 0;
  const paced = await seconds(async () => {
    t0 = performance.now();
    const r = await readPcapFile(path, { onPacket: () => void at.push(performance.now() - t0) }, { replaySpeed: 4 });
    assert.equal(r.packets, PACKETS);
  });
  // Lower bounds are exact (never early); upper bounds are loose: a loaded machine runs late.
  assert.ok(paced >= 0.4 && paced <= 5, `replaySpeed 4 took ${paced.toFixed(3)} s`);
  // Each packet no earlier than due: packet i at i * 100 ms / 4.
  for (let i = 1; i < PACKETS; i++) assert.ok(at[i]! >= i * 25 - 5, `packet ${i} at ${at[i]!.toFixed(1)} ms, due at ${i * 25} ms`);

  const fast = await seconds(() => readPcapFile(path, { onPacket() {} }, { replaySpeed: 0 }));
  assert.ok(fast < paced / 2, `replaySpeed 0 took ${fast.toFixed(3)} s, paced ${paced.toFixed(3)} s`);
});

test('the sensor source honours --replay-speed (and exports the same flows either way)', async () => {
  const path = await twoSecondCapture();
  const settings = { sensorId: 'replay', idleTimeoutS: 60, activeTimeoutS: 300, maxFlows: 1000, maxSources: 1000, contextWindowS: 60, threads: 1 };
  const paced: Flow[] = [];
  const pacedInThread: Flow[] = [];
  const fast: Flow[] = [];
  const pacedS = await seconds(() => readFlows(path, { ...settings, replaySpeed: 4 }, null, (f) => paced.push(f)));
  const pacedInThreadS = await seconds(() => readFlows(path, { ...settings, replaySpeed: 4, threads: 2 }, null, (f) => pacedInThread.push(f)));
  const fastS = await seconds(() => readFlows(path, { ...settings, replaySpeed: 0 }, null, (f) => fast.push(f)));
  assert.ok(pacedS >= 0.4 && pacedS <= 5, `replaySpeed 4 took ${pacedS.toFixed(3)} s`);
  assert.ok(pacedInThreadS >= 0.4 && pacedInThreadS <= 5, `replaySpeed 4 in the flow thread took ${pacedInThreadS.toFixed(3)} s`);
  assert.ok(fastS < pacedS / 2, `replaySpeed 0 took ${fastS.toFixed(3)} s, paced ${pacedS.toFixed(3)} s`);
  assert.equal(fast.length, 3);
  assert.deepEqual(paced, fast, 'pacing changes when, not what');
  assert.deepEqual(pacedInThread, fast, 'the flow thread paces alike');
});
