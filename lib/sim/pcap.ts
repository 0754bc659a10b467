// Runs a simulation into a pcap file and writes its ground truth beside it
// (`<pcap>.truth.jsonl`, one attack flow per line) for evaluations.
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

export async function writeSimulatedPcap(path: string, opts: SimulationOptions, onProgress?: (written: number, total: number) => void): Promise<SimulationResult> {
  const sim = new Simulation(opts).run();
  const w = createPcapWriter(path);
  const total = sim.packets.length;
  for (let i = 0; i < total; i++) {
    const p = sim.packets[i]!;
    w.write(p.ts, p.frame);
    if (i % PROGRESS_EVERY === 0) onProgress?.(i, total);
  }
  onProgress?.(total, total);
  await w.close();
  const truthFile = truthPath(path);
  writeFileSync(truthFile, sim.truth.map((t) => JSON.stringify(t)).join('\n') + (sim.truth.length ? '\n' : ''));
  return { packets: sim.packets.length, benignFlows: sim.benignFlows, attackFlows: sim.truth.length, truthFile };
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
