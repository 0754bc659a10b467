// A capture file through the decoder and the flow table into flows: what the sensor and
// the embedded mode both run. Open flows are exported ('shutdown') at the end of input.
import { readPcapFile, type ReadOptions } from '../pcap/reader.ts';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from './table.ts';
import type { Flow } from './record.ts';

export type { FlowTableStats };

export async function flowsFromPcap(
  path: string,
  opts: Omit<FlowTableOptions, 'onExport'>,
  onFlow: (flow: Flow) => void,
  readerOpts: ReadOptions = {},
  onTable?: (table: FlowTable) => void,
): Promise<FlowTableStats & { truncatedRecords: number }> {
  const table = new FlowTable({ ...opts, onExport: onFlow });
  onTable?.(table);
  const r = await readPcapFile(path, table, readerOpts);
  table.flush('shutdown');
  return { ...table.stats(), truncatedRecords: r.truncatedRecords };
}
