import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcapFile, readPcapBuffer, PcapFormatError, type PcapReadOptions } from '../../../lib/pcap/reader.ts';
import type { PacketHandler } from '../../../lib/pcap/types.ts';
import { LinkType } from '../../../lib/pcap/types.ts';
import { pcapFile, pcapngFile, shb, idb, epb, spb, isb, concat, type Rec } from './captures.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-reader-'));
let fileNo = 0;
function file(bytes: Uint8Array): string {
  const p = join(dir, `f${fileNo++}.cap`);
  writeFileSync(p, bytes);
  return p;
}

interface Seen { data: number[]; wire: number; ts: number; link: number }

/** Copies what it is given: the reader reuses its buffer. */
class Collect implements PacketHandler {
  seen: Seen[] = [];
  onPacket(data: Uint8Array, offset: number, caplen: number, wire: number, ts: number, link: number): void {
    this.seen.push({ data: [...data.subarray(offset, offset + caplen)], wire, ts, link });
  }
}

async function read(bytes: Uint8Array, opts: PcapReadOptions = {}): Promise<{ seen: Seen[]; r: Awaited<ReturnType<typeof readPcapFile>> }> {
  const c = new Collect();
  const r = await readPcapFile(file(bytes), c, opts);
  // The in-memory reader must agree with the streaming one.
  const m = new Collect();
  const rm = readPcapBuffer(bytes, m);
  assert.deepEqual(m.seen, c.seen);
  assert.deepEqual(rm, r);
  return { seen: c.seen, r };
}

let seed = 99;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const payload = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

// Sizes around and beyond the small chunk size used below, so records straddle reads.
const SIZES = [60, 1, 0, 1514, 200, 9000, 64, 3];
const BASE_S = 1_700_000_000n;

test('pcap: both byte orders, micro- and nanosecond timestamps, records across chunk boundaries', async () => {
  const recsUs: Rec[] = SIZES.map((n, i) => ({ ts: (BASE_S + BigInt(i)) * 1_000_000n + 123_456n, data: payload(n), wire: n + (i === 0 ? 100 : 0) }));
  const recsNs: Rec[] = recsUs.map((r) => ({ ...r, ts: r.ts * 1000n + 789n }));
  let reference: Seen[] | null = null;
  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      for (const chunkSize of [64, 1 << 20]) {
        const { seen, r } = await read(pcapFile(nanos ? recsNs : recsUs, { le, nanos, linkType: LinkType.RAW }), { chunkSize });
        assert.equal(r.packets, SIZES.length);
        assert.equal(r.bytes, SIZES.reduce((a, b) => a + b, 0));
        assert.equal(r.truncatedRecords, 0);
        assert.equal(seen[0]!.wire, 160);
        assert.equal(seen[0]!.ts, Number(recsUs[0]!.ts), 'ns truncated to µs');
        assert.ok(seen.every((s) => s.link === LinkType.RAW));
        if (reference) assert.deepEqual(seen, reference, `le=${le} nanos=${nanos} chunk=${chunkSize}`);
        reference = seen;
      }
    }
  }
});

test('pcapng: several interfaces with their own link types, if_tsresol and if_tsoffset; both byte orders; SPB; skipped blocks; a second section', async () => {
  const ifaces = [
    { linkType: LinkType.ETHERNET }, // default: microseconds
    { linkType: LinkType.RAW, tsresol: 9 }, // nanoseconds
    { linkType: LinkType.LINUX_SLL2, tsresol: 0x80 | 20, tsoffset: 1000n }, // 2^-20 s, +1000 s
    { linkType: LinkType.NULL, tsresol: 3 }, // milliseconds
  ];
  const t = 1_700_000_000_123_456n; // µs
  const recs: Rec[] = [
    { ts: t, data: payload(60), iface: 0 },
    { ts: t * 1000n + 999n, data: payload(1500), iface: 1 }, // beyond 2^53: must stay exact
    { ts: 1n << 40n, data: payload(7), iface: 2 }, // 2^40 / 2^20 s = 1048576 s
    { ts: 1_700_000_000_123n, data: payload(33), iface: 3, wire: 99 },
    { ts: t + 5n, data: payload(0), iface: 0 },
  ];
  for (const le of [true, false]) {
    const bytes = concat(pcapngFile(ifaces, recs.slice(0, 2), le), isb(le), ...recs.slice(2).map((r) => epb(le, r)), spb(le, payload(40)));
    for (const chunkSize of [64, 1 << 20]) {
      const { seen, r } = await read(bytes, { chunkSize });
      assert.equal(r.packets, 6);
      assert.deepEqual(
        seen.map((s) => [s.link, s.ts, s.data.length, s.wire]),
        [
          [LinkType.ETHERNET, Number(t), 60, 60],
          [LinkType.RAW, Number(t), 1500, 1500],
          [LinkType.LINUX_SLL2, (1_048_576 + 1000) * 1e6, 7, 7],
          [LinkType.NULL, Number(t) - 456, 33, 99],
          [LinkType.ETHERNET, Number(t) + 5, 0, 0],
          [LinkType.ETHERNET, Number(t) + 5, 40, 40], // simple packet: interface 0, the previous timestamp
        ],
        `le=${le} chunk=${chunkSize}`,
      );
      assert.deepEqual(seen[1]!.data, recs[1]!.data && [...recs[1]!.data]);
    }
  }
  // A second section in the other byte order, with its own interfaces.
  const two = concat(pcapngFile([{ linkType: LinkType.ETHERNET }], [{ ts: 1n, data: payload(10) }], true), pcapngFile([{ linkType: LinkType.RAW, tsresol: 9 }], [{ ts: 5000n, data: payload(20) }], false));
  const { seen } = await read(two);
  assert.deepEqual(seen.map((s) => [s.link, s.ts, s.data.length]), [[LinkType.ETHERNET, 1, 10], [LinkType.RAW, 5, 20]]);
});

test('a truncated last record is counted, not thrown', async () => {
  const pcap = pcapFile([{ ts: 1n, data: payload(100) }, { ts: 2n, data: payload(100) }]);
  for (const cut of [10, 60]) {
    const { r } = await read(pcap.slice(0, pcap.length - cut));
    assert.deepEqual([r.packets, r.truncatedRecords], [1, 1]);
  }
  const ng = pcapngFile([{ linkType: 1 }], [{ ts: 1n, data: payload(100) }, { ts: 2n, data: payload(100) }]);
  const { r } = await read(ng.slice(0, ng.length - 30));
  assert.deepEqual([r.packets, r.truncatedRecords], [1, 1]);
  const headerOnly = await read(pcapFile([]));
  assert.deepEqual([headerOnly.r.packets, headerOnly.r.truncatedRecords], [0, 0]);
});

test('not a capture at all is a PcapFormatError naming the file', async () => {
  const expectError = async (bytes: Uint8Array, pattern: RegExp) => {
    const path = file(bytes);
    await assert.rejects(readPcapFile(path, new Collect()), (e: Error) => {
      assert.ok(e instanceof PcapFormatError, String(e));
      assert.ok(e.message.startsWith(path), e.message);
      assert.match(e.message, pattern);
      return true;
    });
    assert.throws(() => readPcapBuffer(bytes, new Collect()), PcapFormatError);
  };
  await expectError(new Uint8Array(0), /empty or too short/);
  await expectError(pcapFile([]).slice(0, 10), /empty or too short/);
  await expectError(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /not a pcap or pcapng file/);
  await assert.rejects(readPcapFile(join(dir, 'missing.pcap'), new Collect()), /missing\.pcap: cannot open \(no such file\)/);
});

test('damage after the header stops the reading there: the packets before it stand, the offset and reason are named', async () => {
  const expectDamage = async (bytes: Uint8Array, packets: number, offset: number, pattern: RegExp) => {
    const { r } = await read(bytes);
    assert.ok(r.damage, 'damage reported');
    assert.equal(r.packets, packets);
    assert.equal(r.damage.offset, offset);
    assert.match(r.damage.reason, pattern);
    assert.equal(r.truncatedRecords, 0, 'damage is not a cut tail');
  };
  const huge = pcapFile([{ ts: 1n, data: payload(10) }, { ts: 2n, data: payload(10) }]);
  new DataView(huge.buffer).setUint32(24 + 26 + 8, 0x7fffffff, true);
  await expectDamage(huge, 1, 50, /claims 2147483647 captured bytes.*at offset 50$/);
  const ng = pcapngFile([{ linkType: 1 }], [{ ts: 1n, data: payload(12) }]);
  const badTrailer = ng.slice();
  badTrailer[badTrailer.length - 4] = 0x99;
  await expectDamage(badTrailer, 0, 48, /does not match its trailer at offset 48$/);
  const badLen = ng.slice();
  new DataView(badLen.buffer).setUint32(48 + 4, 13, true);
  await expectDamage(badLen, 0, 48, /bad pcapng block length 13 at offset 48$/);
  await expectDamage(concat(shb(true), epb(true, { ts: 1n, data: payload(4), iface: 0 })), 0, 28, /undeclared interface 0 at offset 28$/);
  await expectDamage(concat(shb(true), idb(true, { linkType: 1 }), epb(true, { ts: 1n, data: payload(4), iface: 3 })), 0, 48, /undeclared interface 3/);
});

test('finding 2: a caplen 0 record in the middle is damage at that record, not "a last record cut short"', async () => {
  // 20 packets of 100 bytes; record 5's caplen zeroed. Before the fix the reader took its
  // bytes for the next header and ended with 5 packets and "1 truncated record".
  const recs: Rec[] = Array.from({ length: 20 }, (_, i) => ({ ts: BigInt(i + 1), data: payload(100) }));
  const bytes = pcapFile(recs);
  const at = 24 + 5 * 116;
  const damaged = bytes.slice();
  new DataView(damaged.buffer).setUint32(at + 8, 0, true);
  for (const chunkSize of [64, 1 << 20]) {
    const { r } = await read(damaged, { chunkSize });
    assert.equal(r.packets, 5);
    assert.deepEqual(r.damage && [r.damage.offset, /captured 0 bytes of a 100-byte packet at offset 604$/.test(r.damage.reason)], [at, true]);
    assert.equal(r.truncatedRecords, 0);
  }
  // caplen beyond the header's snap length (here 1000) is damage too.
  const snapped = pcapFile(recs, { snaplen: 1000 });
  new DataView(snapped.buffer).setUint32(at + 8, 300_000, true);
  assert.match((await read(snapped)).r.damage?.reason ?? '', /beyond the snap length at offset 604$/);
  // A cut tail says where it starts.
  const cut = (await read(bytes.slice(0, at + 50))).r;
  assert.deepEqual([cut.packets, cut.truncatedRecords, cut.truncatedAt, cut.damage], [5, 1, at, null]);
});

test('back-pressure, progress and abort between chunks; no packet while drain is pending', async () => {
  const recs: Rec[] = Array.from({ length: 200 }, (_, i) => ({ ts: BigInt(i), data: payload(100) }));
  const path = file(pcapFile(recs));
  let pending = false;
  let drains = 0;
  let violations = 0;
  const progress: number[] = [];
  const handler: PacketHandler = { onPacket: () => void (pending && violations++) };
  const r = await readPcapFile(path, handler, {
    chunkSize: 4096,
    drain: () => {
      drains++;
      if (drains % 2) return undefined; // a consumer with room says so synchronously
      pending = true;
      return new Promise<void>((res) => setTimeout(() => ((pending = false), res()), 2));
    },
    onProgress: (p) => progress.push(p.bytesRead),
  });
  assert.equal(r.packets, 200);
  assert.equal(violations, 0);
  assert.ok(drains >= 5, `drain awaited per chunk (${drains})`);
  assert.ok(progress.length >= 5 && progress.at(-1) === 24 + 200 * 116);
  assert.ok(progress.every((b, i) => i === 0 || b >= progress[i - 1]!));
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(
    readPcapFile(path, { onPacket: () => void (++n === 50 && ac.abort()) }, { chunkSize: 4096, signal: ac.signal }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.ok(n < 200);
});

test('replaySpeed paces by packet timestamps; 0 reads as fast as possible', async () => {
  const recs: Rec[] = [0, 100_000, 200_000, 300_000].map((us) => ({ ts: BASE_S * 1_000_000n + BigInt(us), data: payload(20) }));
  const path = file(pcapFile(recs));
  const at: number[] = [];
  const t0 = performance.now();
  await readPcapFile(path, { onPacket: () => void at.push(performance.now() - t0) }, { replaySpeed: 2 });
  // 300 ms of capture at x2: about 150 ms, each packet no earlier than due.
  assert.ok(at[3]! >= 145 && at[3]! < 1000, `last packet at ${at[3]} ms`);
  assert.ok(at[1]! >= 45, `second packet at ${at[1]} ms`);
  // Unpaced (0, the default): all four at once, faster than the paced read just measured
  // under the same load (a comparison, not a wall-clock bound).
  const got = new Collect();
  const t1 = performance.now();
  await readPcapFile(path, got);
  const unpaced = performance.now() - t1;
  assert.equal(got.seen.length, 4);
  assert.ok(unpaced < at[3]!, `unpaced ${unpaced} ms, paced ${at[3]} ms`);
});
