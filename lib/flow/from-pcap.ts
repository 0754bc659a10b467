// A capture file through the decoder and the flow table into flows: what the sensor and
// the embedded mode both run. At the end of input, or when the read is aborted (graceful
// shutdown), every open flow is exported ('shutdown').
import { readPcapFile, type PcapReadOptions } from '../pcap/reader.ts';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from './table.ts';
import type { Flow } from './record.ts';

export type { FlowTableStats };

export interface PcapFlowStats extends FlowTableStats {
  /** A last record cut short in the file (0 or 1). */
  truncatedRecords: number;
  /** The read stopped early because readerOpts.signal was aborted. */
  aborted: boolean;
}

export async function flowsFromPcap(
  path: string,
  opts: Omit<FlowTableOptions, 'onExport'>,
  onFlow: (flow: Flow) => void,
  readerOpts: PcapReadOptions = {},
  onTable?: (table: FlowTable) => void,
): Promise<PcapFlowStats> {
  const table = new FlowTable({ ...opts, onExport: onFlow });
  onTable?.(table);
  let truncatedRecords = 0;
  let aborted = false;
  try {
    truncatedRecords = (await readPcapFile(path, table, readerOpts)).truncatedRecords;
  } catch (err) {
    if (!(readerOpts.signal?.aborted && err instanceof Error && err.name === 'AbortError')) throw err;
    aborted = true;
  }
  table.flush('shutdown');
  return { ...table.stats(), truncatedRecords, aborted };
}
