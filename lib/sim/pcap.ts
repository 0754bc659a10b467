// Runs a simulation into a pcap file and writes its ground truth beside it
// (`<pcap>.truth.jsonl`, one attack flow per line) for evaluations. Streamed: memory does
// not depend on the duration.
import { writeFileSync } from 'node:fs';
import { createPcapWriter } from '../pcap/writer.ts';
import { Simulation, type SimulationOptions, type TruthRecord } from './scenario.ts';

const truthPath = (pcap: string): string => `${pcap}.truth.jsonl`;

export interface SimulationResult {
  packets: number;
  benignFlows: number;
  attackFlows: number;
  truthFile: string;
}

/** Every this many packets written, `onProgress` hears of it. */
const PROGRESS_EVERY = 4096;

/**
 * @param onProgress hears, every few thousand packets, how many were written and how far
 * into the simulated time the simulation is (`done` of `total` microseconds): the total
 * packet count is not known before the end, the duration is.
 */
export async function writeSimulatedPcap(
  path: string,
  opts: SimulationOptions,
  onProgress?: (p: { packets: number; done: number; total: number }) => void,
): Promise<SimulationResult> {
  const w = createPcapWriter(path);
  const total = opts.durationS * 1e6;
  let sim: Simulation;
  try {
    sim = new Simulation(opts).stream((ts, frame) => {
      w.write(ts, frame);
      if (onProgress && w.packets % PROGRESS_EVERY === 0) onProgress({ packets: w.packets, done: Math.min(total, Math.max(0, ts - opts.startMicros)), total });
    });
  } finally {
    await w.close();
  }
  onProgress?.({ packets: w.packets, done: total, total });
  const truthFile = truthPath(path);
  writeFileSync(truthFile, sim.truth.map((t) => JSON.stringify(t)).join('\n') + (sim.truth.length ? '\n' : ''));
  return { packets: w.packets, benignFlows: sim.benignFlows, attackFlows: sim.truth.length, truthFile };
}

/** Loads a truth file as a lookup by 5-tuple (either direction). */
export function loadTruth(text: string): Map<string, TruthRecord> {
  const m = new Map<string, TruthRecord>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const t = JSON.parse(line) as TruthRecord;
    m.set(tupleKey(t.src_ip, t.src_port, t.dst_ip, t.dst_port, t.protocol), t);
  }
  return m;
}

export function tupleKey(aIp: string, aPort: number, bIp: string, bPort: number, proto: number): string {
  const a = `${aIp}:${aPort}`;
  const b = `${bIp}:${bPort}`;
  return a < b ? `${proto}|${a}|${b}` : `${proto}|${b}|${a}`;
}
