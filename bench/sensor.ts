// sensor.pps: packets/s through the pcap reader, decoder and flow table into Flow records,
// on one thread (`nids`) and on two (`nids --threads 2`, lib/flowthread: the worker's start
// included), beside libpcap's own read rate (`tcpdump -r FILE -w /dev/null`, the limit) and
// `tshark -q -z conv,ip`, on the same file in the same run; median of five runs each,
// interleaved, so a load change hits every peer alike. sensor.bytes_per_flow: heap per open
// flow. Without an argument it simulates a capture to measure on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowsFromPcap } from '../lib/flow/from-pcap.ts';
import { flowsFromPcapInThread } from '../lib/flowthread/from-pcap.ts';
import { FlowTable } from '../lib/flow/table.ts';
import { writeSimulatedPcap } from '../lib/sim/pcap.ts';
import { ethernet, ipv4, tcp } from '../lib/sim/frames.ts';
import { LinkType } from '../lib/pcap/types.ts';
import { emit, median } from './util.ts';

let pcap = process.argv[2];
if (!pcap) {
  pcap = join(mkdtempSync(join(tmpdir(), 'nids-bench-')), 'bench.pcap');
  await writeSimulatedPcap(pcap, { seed: 3, durationS: 600, startMicros: 1.7e15, hosts: 50, flowsPerSecond: 40, attacks: ['portscan', 'synflood'] });
}
const RUNS = 5;
const { packets } = await flowsFromPcap(pcap, { sensorId: 'bench' }, () => {}); // warm-up
await flowsFromPcapInThread(pcap, { sensorId: 'bench' }, () => {});
const seconds = async (run: () => unknown): Promise<number> => {
  const t = performance.now();
  await run();
  return (performance.now() - t) / 1000;
};
const tcpdump = () => {
  const r = spawnSync('tcpdump', ['-r', pcap, '-w', '/dev/null'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`tcpdump -r ${pcap} failed (status ${r.status})`);
};
const times: Record<string, number[]> = { nids: [], 'nids --threads 2': [], 'tcpdump -r': [] };
for (let i = 0; i < RUNS; i++) {
  times.nids!.push(await seconds(() => flowsFromPcap(pcap, { sensorId: 'bench' }, () => {})));
  times['nids --threads 2']!.push(await seconds(() => flowsFromPcapInThread(pcap, { sensorId: 'bench' }, () => {})));
  times['tcpdump -r']!.push(await seconds(tcpdump));
}
for (const [impl, ts] of Object.entries(times)) emit('sensor.pps', impl, packets / median(ts), 'packets/s');
const t2 = performance.now();
const r = spawnSync('tshark', ['-n', '-q', '-z', 'conv,ip', '-r', pcap], { encoding: 'utf8' });
if (r.status === 0) emit('sensor.pps', 'tshark', packets / ((performance.now() - t2) / 1000), 'packets/s');

// Heap per open flow: 100k distinct flows held open in a table sized for them.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  const n = 100_000;
  // Let the warm-up tables above go first (each preallocates its full capacity).
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
  const before = process.memoryUsage();
  const table = new FlowTable({ sensorId: 'bench', maxFlows: n, idleTimeoutS: 1e6, activeTimeoutS: 1e6, onExport: () => {} });
  // One packet buffer rewritten per flow (source address and port), so the only heap
  // growth left to measure is the table's.
  const pkt = ethernet(ipv4([10, 1, 0, 0], [10, 2, 0, 1], 6, tcp(1024, 443, 0x02)));
  const SRC = 14 + 12;
  const SPORT = 14 + 20;
  for (let i = 0; i < n; i++) {
    pkt[SRC + 2] = (i >> 8) & 255;
    pkt[SRC + 3] = i & 255;
    const sport = 1024 + (i % 60000);
    pkt[SPORT] = sport >> 8;
    pkt[SPORT + 1] = sport & 255;
    table.onPacket(pkt, 0, pkt.length, pkt.length, 1.7e15 + i, LinkType.ETHERNET);
  }
  gc();
  gc();
  const after = process.memoryUsage();
  const used = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  // Read the table after measuring, or it is garbage before the second snapshot.
  if (table.open !== n) throw new Error(`expected ${n} open flows, the table holds ${table.open}`);
  emit('sensor.bytes_per_flow', 'nids', used / n, 'bytes');
} else process.stderr.write('sensor.bytes_per_flow needs --expose-gc\n');
