// A capture file through the decoder and the flow table into flows: what the sensor and
// the embedded mode both run. At the end of input, or when the read is aborted (graceful
// shutdown), every open flow is exported ('shutdown').
import { readPcapFile, type PcapReadOptions, type ReadDamage } from '../pcap/reader.ts';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from './table.ts';
import type { Flow } from './record.ts';

export type { FlowTableStats };

export interface PcapFlowStats extends FlowTableStats {
  /** A last record cut short in the file (0 or 1). */
  truncatedRecords: number;
  /** File offset of that record (-1: none). */
  truncatedAt: number;
  /** Damage in the middle of the file: the reading stopped there (null: read to the end). */
  damage: ReadDamage | null;
  /** Packets stamped earlier than the packet before them. */
  timeWentBack: number;
  /** The read stopped early because readerOpts.signal was aborted. */
  aborted: boolean;
}

/** Open flows exported at the end of the input between two waits for the consumer. */
const FLUSH_SLICE = 4096;

export async function flowsFromPcap(
  path: string,
  opts: Omit<FlowTableOptions, 'onExport'>,
  onFlow: (flow: Flow) => void,
  readerOpts: PcapReadOptions = {},
  onTable?: (table: FlowTable) => void,
): Promise<PcapFlowStats> {
  const table = new FlowTable({ ...opts, onExport: onFlow });
  onTable?.(table);
  let read = { truncatedRecords: 0, truncatedAt: -1, damage: null as ReadDamage | null, timeWentBack: 0 };
  let aborted = false;
  try {
    const r = await readPcapFile(path, table, readerOpts);
    read = { truncatedRecords: r.truncatedRecords, truncatedAt: r.truncatedAt, damage: r.damage, timeWentBack: r.timeWentBack };
  } catch (err) {
    if (!(readerOpts.signal?.aborted && err instanceof Error && err.name === 'AbortError')) throw err;
    aborted = true;
  }
  // The flows still open at the end go out in slices, each waiting for the consumer: a
  // flood leaves a table full of them, and exporting them at once would queue them all.
  while (table.flush('shutdown', FLUSH_SLICE) > 0) {
    const pending = readerOpts.drain?.();
    if (pending) await pending;
  }
  return { ...table.stats(), ...read, aborted };
}
