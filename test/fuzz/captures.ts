// Property-based fuzzing of the capture reader and the packet decoder (issue 10): structured
// mutations of real captures (simulated office traffic, as pcap in both byte orders and as
// pcapng) — record lengths, caplens, header bytes, pcapng options and block lengths,
// truncations, inserted garbage — through readPcapBuffer into a FlowTable. Properties: no
// exception but a PcapFormatError for a file that is not a capture at all, no hang (the
// reader only moves forward), and every packet handed over is accounted for: decoded or
// skipped with a reason.
import fc from 'fast-check';
import { readPcapBuffer, PcapFormatError } from '../../lib/pcap/reader.ts';
import { FlowTable } from '../../lib/flow/table.ts';
import { Simulation } from '../../lib/sim/scenario.ts';
import { pcapFile, pcapngFile, type Rec } from '../unit/pcap/captures.ts';

const packets = new Simulation({ seed: 7, durationS: 20, startMicros: 1_793_610_000_000_000, hosts: 6, flowsPerSecond: 6, attacks: ['portscan', 'dnstunnel'] }).collect();
const recs: Rec[] = packets.slice(0, 300).map((p) => ({ ts: BigInt(p.ts), data: p.frame }));
/** The clean captures every case starts from. */
export const BASES: Uint8Array[] = [
  pcapFile(recs, { le: true }),
  pcapFile(recs, { le: false, nanos: true, linkType: 1 }),
  pcapngFile([{ linkType: 1, tsresol: 6 }], recs, true),
  pcapngFile([{ linkType: 1, tsresol: 9, tsoffset: 5n }], recs.map((r) => ({ ...r, ts: r.ts * 1000n })), false),
];

type Mutation =
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number };

/** Interesting 32-bit values: lengths around the edges. */
const u32 = fc.oneof(fc.constantFrom(0, 1, 3, 4, 11, 12, 13, 14, 16, 20, 28, 32, 60, 65535, 65536, 262144, 262145, 0x7fffffff, 0xffffffff), fc.nat(0xffffffff));
// Unbiased: fast-check's bias towards small values would hit the file header most of the time.
const at = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1e6);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('u32' as const), at, value: u32 }),
  fc.record({ kind: fc.constant('u16' as const), at, value: fc.nat(0xffff) }),
  fc.record({ kind: fc.constant('byte' as const), at, value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 40 }) }),
);

/** A case: one base capture and up to 6 mutations, positions as fractions of its length. */
export const captureCase = fc.record({ base: fc.nat(BASES.length - 1), mutations: fc.array(mutation, { maxLength: 6 }), fieldAligned: fc.boolean() });

export function mutate(base: Uint8Array, ms: readonly Mutation[], fieldAligned: boolean): Uint8Array {
  let b = base.slice();
  for (const m of ms) {
    let pos = Math.floor(m.at * b.length);
    if (fieldAligned) pos &= ~3; // hits length and caplen fields more often
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (m.kind === 'u32' && pos + 4 <= b.length) dv.setUint32(pos, m.value, pos % 8 === 0);
    else if (m.kind === 'u16' && pos + 2 <= b.length) dv.setUint16(pos, m.value, true);
    else if (m.kind === 'byte' && pos < b.length) b[pos] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, pos);
    else if (m.kind === 'insert') {
      const c = new Uint8Array(b.length + m.bytes.length);
      c.set(b.subarray(0, pos));
      c.set(m.bytes, pos);
      c.set(b.subarray(pos), pos + m.bytes.length);
      b = c;
    } else if (m.kind === 'delete') {
      const c = new Uint8Array(Math.max(0, b.length - m.n));
      c.set(b.subarray(0, Math.min(pos, c.length)));
      if (pos + m.n < b.length) c.set(b.subarray(pos + m.n), pos);
      b = c;
    }
  }
  return b;
}

export interface CaseResult {
  packets: number;
  damaged: boolean;
  notACapture: boolean;
}

/** Runs one case; throws when a property fails. */
let inFlows = 0;
/** One table for every case (flushed after each): the counters are compared as deltas. */
const table = new FlowTable({ sensorId: 'fuzz', onExport: (f) => void (inFlows += f.packets_fwd + f.packets_rev) });
const skippedSoFar = () => Object.values(table.stats().decodeErrors).reduce((a, b) => a + b, 0);

export function checkCase(bytes: Uint8Array): CaseResult {
  const before = { packets: table.stats().packets, decoded: table.stats().decoded, skipped: skippedSoFar(), inFlows };
  let r;
  try {
    r = readPcapBuffer(bytes, table, 'fuzz');
  } catch (err) {
    if (err instanceof PcapFormatError) {
      table.flush('shutdown');
      return { packets: 0, damaged: false, notACapture: true };
    }
    throw err;
  }
  table.flush('shutdown');
  const s = table.stats();
  const packets = s.packets - before.packets;
  const decoded = s.decoded - before.decoded;
  const skipped = skippedSoFar() - before.skipped;
  const exported = inFlows - before.inFlows;
  if (packets !== r.packets) throw new Error(`the table saw ${packets} packets, the reader delivered ${r.packets}`);
  if (decoded + skipped !== r.packets) throw new Error(`${r.packets} packets but ${decoded} decoded + ${skipped} skipped`);
  if (exported !== decoded) throw new Error(`${decoded} decoded packets but ${exported} in exported flows`);
  if (r.damage && r.truncatedRecords) throw new Error('damage and a cut tail at once');
  return { packets: r.packets, damaged: r.damage !== null, notACapture: false };
}

/** Runs cases until `packets` packets went through (or `maxMs`); returns the tallies. */
export function fuzz(opts: { packets: number; seed: number; maxMs: number }): { cases: number; packets: number; damaged: number; notACapture: number; ms: number } {
  const t0 = performance.now();
  const tally = { cases: 0, packets: 0, damaged: 0, notACapture: 0, ms: 0 };
  let seed = opts.seed;
  while (tally.packets < opts.packets && performance.now() - t0 < opts.maxMs) {
    fc.assert(
      fc.property(captureCase, (c) => {
        const r = checkCase(mutate(BASES[c.base]!, c.mutations, c.fieldAligned));
        tally.cases++;
        tally.packets += r.packets;
        if (r.damaged) tally.damaged++;
        if (r.notACapture) tally.notACapture++;
      }),
      { seed: seed++, numRuns: 1000 },
    );
  }
  tally.ms = Math.round(performance.now() - t0);
  return tally;
}
