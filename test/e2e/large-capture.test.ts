// Any capture size (issues 10 and 12): `nids analyze` over a 10 M-packet capture stays within
// the memory its caps allow (the flow table and per-source state), not the file's size; and a
// capture larger than 4 GiB is written and read back packet for packet (file offsets pass
// 2^32). Both files are generated into a temporary folder and deleted at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPcapWriter } from '../../lib/pcap/writer.ts';
import { readPcapFile } from '../../lib/pcap/reader.ts';
import { ethernet, ipv4, tcp, udp } from '../../lib/sim/frames.ts';
import { writeSimulatedPcap } from '../../lib/sim/pcap.ts';
import { TcpFlag } from '../../lib/packet/decode.ts';
import { CSV_FILE } from '../../lib/pipeline/csv.ts';
import { REPO } from '../helpers/stack.ts';

const PEAK_RSS = fileURLToPath(new URL('../helpers/peak-rss.mjs', import.meta.url));
/** What the defaults are meant to fit in (lib/config/stages.ts: --max-flows-open, --max-sources). */
const MEMORY_CAP_MB = 1024;

/** Fails clearly, before writing anything, when the temporary folder's disk cannot take `bytes`. */
function needDisk(dir: string, bytes: number): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  assert.ok(free > bytes * 1.2, `this test writes ${(bytes / 2 ** 30).toFixed(1)} GiB into ${dir}, which has ${(free / 2 ** 30).toFixed(1)} GiB free: free some space or point TMPDIR elsewhere`);
}

test('nids analyze reads a 10 M-packet capture with memory bounded by its caps, not by the file', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-10m-'));
  try {
    const PACKETS = 10_000_000;
    const FLOWS = 20_000;
    needDisk(dir, PACKETS * 80);
    // 20 000 UDP conversations, their packets interleaved (each stays open to the end), 10 µs apart.
    const frame = ethernet(ipv4([10, 1, 0, 1], [10, 0, 0, 5], 17, udp(1024, 9999, new Uint8Array(18).fill(7))));
    const SPORT = 14 + 20;
    const input = join(dir, 'input.pcap');
    const w = createPcapWriter(input);
    for (let i = 0; i < PACKETS; i++) {
      const port = 1024 + (i % FLOWS);
      frame[SPORT] = port >> 8;
      frame[SPORT + 1] = port & 255;
      w.write(1.7e15 + 1e9 + 10 * i, frame);
    }
    await w.close();
    const baseline = join(dir, 'baseline.pcap');
    await writeSimulatedPcap(baseline, { seed: 1, durationS: 60, startMicros: 1.7e15, hosts: 10, flowsPerSecond: 6, attacks: [] });

    const out = join(dir, 'out');
    const rssFile = join(dir, 'peak-rss');
    const r = spawnSync(process.execPath, ['--import', PEAK_RSS, join(REPO, 'bin/nids'), 'analyze', '--baseline', baseline, '--input', input, '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, NIDS_PEAK_RSS_FILE: rssFile },
      timeout: 840_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { packets_read: number; packets_decoded: number; flows: number };
    assert.equal(run.packets_read, PACKETS);
    assert.equal(run.packets_decoded, PACKETS);
    assert.equal(run.flows, FLOWS);
    const rows = readFileSync(join(out, CSV_FILE), 'utf8').trimEnd().split('\n').length - 1;
    assert.equal(rows, FLOWS);
    const peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    process.stderr.write(`10 M packets (${(statSync(input).size / 2 ** 20).toFixed(0)} MiB): peak RSS ${peakMb.toFixed(0)} MiB\n`);
    assert.ok(peakMb < MEMORY_CAP_MB, `peak RSS ${peakMb.toFixed(0)} MiB over ${MEMORY_CAP_MB} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a capture larger than 4 GiB is written and read back packet for packet', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-4g-'));
  try {
    // Jumbo TCP segments (9000-byte frames) of one conversation, just past 4 GiB.
    const frame = ethernet(ipv4([10, 1, 0, 1], [10, 0, 0, 5], 6, tcp(40000, 443, TcpFlag.ACK | TcpFlag.PSH, 9000 - 14 - 20 - 20)));
    const record = 16 + frame.length;
    const packets = Math.ceil((2 ** 32 + 2 ** 24) / record);
    needDisk(dir, packets * record);
    const path = join(dir, 'big.pcap');
    const w = createPcapWriter(path);
    const SEQ = 14 + 20 + 4;
    for (let i = 0; i < packets; i++) {
      // The packet's number in its TCP sequence field, to check the order read back.
      frame[SEQ] = i >>> 24;
      frame[SEQ + 1] = (i >>> 16) & 255;
      frame[SEQ + 2] = (i >>> 8) & 255;
      frame[SEQ + 3] = i & 255;
      w.write(1.7e15 + 100 * i, frame);
    }
    await w.close();
    const size = statSync(path).size;
    assert.equal(size, 24 + packets * record);
    assert.ok(size > 2 ** 32, `${size} bytes: not past 4 GiB`);

    let n = 0;
    let outOfOrder = 0;
    const r = await readPcapFile(path, {
      onPacket(data, offset, caplen, wireLen, tsMicros) {
        const seq = ((data[offset + SEQ]! << 24) | (data[offset + SEQ + 1]! << 16) | (data[offset + SEQ + 2]! << 8) | data[offset + SEQ + 3]!) >>> 0;
        if (seq !== n || tsMicros !== 1.7e15 + 100 * n || caplen !== frame.length || wireLen !== frame.length) outOfOrder++;
        n++;
      },
    });
    assert.equal(r.damage, null);
    assert.equal(r.truncatedRecords, 0);
    assert.equal(r.packets, packets);
    assert.equal(n, packets);
    assert.equal(outOfOrder, 0, 'every packet read back as written, in order');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nids simulate streams: memory does not grow with the duration', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-sim-'));
  try {
    const peak = (duration: number): number => {
      const rssFile = join(dir, `rss-${duration}`);
      const r = spawnSync(process.execPath, ['--import', PEAK_RSS, join(REPO, 'bin/nids'), 'simulate', '--out', join(dir, `sim-${duration}.pcap`), '--duration', String(duration), '--rate', '200'], {
        encoding: 'utf8',
        env: { ...process.env, NIDS_PEAK_RSS_FILE: rssFile },
        timeout: 540_000,
      });
      assert.equal(r.status, 0, r.stderr);
      rmSync(join(dir, `sim-${duration}.pcap`));
      return Number(readFileSync(rssFile, 'utf8')) / 1024;
    };
    const short = peak(10);
    const long = peak(150); // 15 times the packets
    process.stderr.write(`simulate peak RSS: 10 s ${short.toFixed(0)} MiB, 150 s ${long.toFixed(0)} MiB\n`);
    assert.ok(long < short + 40, `150 s of traffic took ${long.toFixed(0)} MiB, 10 s ${short.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
