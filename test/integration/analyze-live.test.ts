// The embedded mode on a live interface, as an operator runs it: learn from a tcpdump
// capture of a private wire's normal traffic, then `nids analyze --iface` on the same wire
// for a few seconds while the same kind of traffic and a port scan cross it. Every flow
// must be in the CSV, and the scan must be flagged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { generateTraffic, liveCaptureSkipReason, startTcpdump, TCP_PORT, UDP_PORT, useVethLab } from '../helpers/netns.ts';
import { startNids, waitFor } from '../helpers/proc.ts';
import { CSV_COLUMNS, CSV_FILE } from '../../lib/pipeline/csv.ts';
import { PLOT_FILE } from '../../lib/pipeline/plot.ts';

const skip = liveCaptureSkipReason();
const SCAN_PORTS = 60;
const dir = mkdtempSync(join(tmpdir(), 'nids-analyze-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lab = useVethLab('d', skip);

/** SYNs to closed ports of the peer, one after the other; each ends with the peer's RST. */
async function portScan(peer: string, ports: number): Promise<number[]> {
  const scanned: number[] = [];
  for (let p = 0; p < ports; p++) {
    const port = 20_000 + p;
    await new Promise<void>((resolve) => {
      const s = createConnection({ host: peer, port });
      const done = () => {
        s.destroy();
        resolve();
      };
      s.on('error', done);
      s.on('connect', done);
      s.setTimeout(2000, done);
    });
    scanned.push(port);
  }
  return scanned;
}

test('nids analyze --iface: live flows scored into the CSV and plot, the port scan flagged', { skip, timeout: 180_000 }, async () => {
  const l = lab();
  const filter = `host ${l.peerAddr}`;
  // The baseline: normal traffic on the same wire, recorded by tcpdump.
  const baselinePcap = join(dir, 'baseline.pcap');
  const dump = await startTcpdump(l.hostIf, filter, baselinePcap);
  await generateTraffic(l.peerAddr, 20, 20); // 40 flows: the trainer wants at least 32
  await new Promise((r) => setTimeout(r, 500));
  await dump.stop();

  const out = join(dir, 'out');
  const run = startNids(['analyze', '--baseline', baselinePcap, '--iface', l.hostIf, '--filter', filter, '--duration', '8', '--out', out]);
  await waitFor('the capture to start', () => (run.output().stderr.includes('capturing on') ? true : undefined), 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; nids analyze said: ${JSON.stringify(run.output())}`);
  });
  const normal = await generateTraffic(l.peerAddr, 3, 3);
  const scanned = await portScan(l.peerAddr, SCAN_PORTS);
  const r = await run.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /scored \d+ flows: \d+ anomalous/);

  const lines = readFileSync(join(out, CSV_FILE), 'utf8').trim().split('\n');
  assert.equal(lines[0], CSV_COLUMNS.join(','));
  // Every column before the last (reasons, quoted) is free of commas.
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  const rows = lines.slice(1).map((line) => line.split(','));
  const find = (protocol: number, srcPort: number, dstPort: number) =>
    rows.find((c) => Number(c[col('protocol')]) === protocol && Number(c[col('src_port')]) === srcPort && Number(c[col('dst_port')]) === dstPort);
  for (const e of normal) {
    assert.ok(find(e.protocol, e.srcPort, e.protocol === 6 ? TCP_PORT : UDP_PORT), `no CSV row for the ${e.protocol === 6 ? 'TCP' : 'UDP'} exchange from port ${e.srcPort}`);
  }
  const scanRows = rows.filter((c) => Number(c[col('protocol')]) === 6 && scanned.includes(Number(c[col('dst_port')])));
  assert.equal(scanRows.length, SCAN_PORTS, 'one flow per scanned port');
  const flagged = scanRows.filter((c) => c[col('anomaly')] === '-1').length;
  assert.ok(flagged >= 0.9 * SCAN_PORTS, `only ${flagged} of ${SCAN_PORTS} scan flows were flagged`);
  assert.ok(existsSync(join(out, PLOT_FILE)), 'the plot is written');
  assert.deepEqual([...readFileSync(join(out, PLOT_FILE)).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('nids analyze refuses two sources, or live-only flags on a file, naming the setting', async () => {
  for (const [args, message] of [
    [['--input', 'x.pcap', '--iface', 'lo'], /--input and --iface: give one source/],
    [['--input', 'x.pcap', '--filter', 'tcp'], /--filter: applies to live capture/],
    [['--input', 'x.pcap', '--duration', '5'], /--duration: applies to live capture/],
    [[], /--input or --iface/],
  ] as const) {
    const r = await startNids(['analyze', '--baseline', 'b.pcap', ...args, '--out', join(dir, 'refused')]).exited;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});
