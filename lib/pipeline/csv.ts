// The sink stage's labeled CSV (the sink service and the embedded mode): one row per
// scored flow, written once. The file itself is the record
// of what was written: on open, its flow_ids are loaded so a replay after a crash
// (at-least-once delivery) appends nothing twice, and a torn last line is cut off.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { GroupFsync, readCompleteLines } from './append-file.ts';
import { LineWriter } from '../output/line-writer.ts';
import type { ScoredFlow } from '../avro/records.ts';
import { formatIsoMicros, parseIsoMicros } from '../time/index.ts';
import { FlowIdSet } from './flow-id-set.ts';
import { PlotData } from '../plot/data.ts';

export const CSV_FILE = 'five_tuple_with_anomaly.csv';

export const CSV_COLUMNS = [
  'flow_id', 'ts_start', 'ts_end', 'sensor_id', 'community_id',
  'src_ip', 'dst_ip', 'src_port', 'dst_port', 'protocol',
  'packets_fwd', 'packets_rev', 'bytes_fwd', 'bytes_rev', 'end_reason',
  'score', 'threshold', 'anomaly', 'model_id', 'reasons',
] as const;

const HEADER = CSV_COLUMNS.join(',') + '\n';

const quote = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function csvRow(s: ScoredFlow): string {
  const f = s.flow;
  return [
    f.flow_id, formatIsoMicros(f.ts_start), formatIsoMicros(f.ts_end), quote(f.sensor_id), f.community_id,
    f.src_ip, f.dst_ip, f.src_port, f.dst_port, f.protocol,
    f.packets_fwd, f.packets_rev, f.bytes_fwd, f.bytes_rev, f.end_reason,
    s.score, s.threshold, s.anomaly, s.model_id, quote(s.reasons.join('; ')),
  ].join(',') + '\n';
}

/** Splits one CSV line honoring quotes (our own rows only need this much). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuotes) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else cur += c;
    } else if (c === '"') inQuotes = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export class CsvWriter {
  private fd: number;
  private readonly lines: LineWriter;
  private readonly seen = new FlowIdSet();
  /** What the plots draw of every row (bounded); restored from the file on open. */
  readonly plot: PlotData;
  rowsWritten = 0;
  anomalyRows = 0;
  duplicatesDropped = 0;

  /**
   * @param syncEachBatch fsync before write() returns (the sink service: it commits Kafka
   *   offsets only after that). The embedded mode, which can simply run again, passes false
   *   and the file is synced once, on close().
   * @param plot where each row is added for the plots (a live dashboard shares it).
   */
  constructor(
    readonly path: string,
    private readonly syncEachBatch = true,
    plot = new PlotData(),
  ) {
    this.plot = plot;
    if (existsSync(path)) this.recover();
    this.fd = openSync(path, 'a');
    if (this.seen.size === 0) {
      ftruncateSync(this.fd, 0);
      writeSync(this.fd, HEADER);
    }
    this.lines = new LineWriter(this.fd);
  }

  private recover(): void {
    const lines = readCompleteLines(this.path);
    if (lines[0] !== HEADER.trimEnd()) {
      throw new Error(`${this.path}: not a nids CSV (unexpected header); move it away or choose another --out`);
    }
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const cells = parseCsvLine(line);
      this.seen.add(cells[col('flow_id')]!);
      const anomaly = Number(cells[col('anomaly')]);
      if (anomaly === -1) this.anomalyRows++;
      const reasons = cells[col('reasons')];
      this.plot.add(cells[col('src_ip')]!, Number(cells[col('src_port')]), Number(cells[col('dst_port')]), parseIsoMicros(cells[col('ts_start')]!) ?? 0, anomaly === -1, reasons ? reasons.split('; ') : []);
    }
  }

  /**
   * Appends the flows not written before; durable (fsync) when it returns, if syncEachBatch.
   * `onRow` is called for each flow written (not for a repeated flow id).
   */
  write(batch: readonly ScoredFlow[], onRow?: (s: ScoredFlow) => void): number {
    let n = 0;
    for (const s of batch) {
      if (!this.seen.add(s.flow.flow_id)) {
        this.duplicatesDropped++;
        continue;
      }
      if (s.anomaly === -1) this.anomalyRows++;
      this.plot.add(s.flow.src_ip, s.flow.src_port, s.flow.dst_port, s.flow.ts_start, s.anomaly === -1, s.reasons);
      this.lines.add(csvRow(s));
      onRow?.(s);
      n++;
    }
    if (n > 0) this.lines.flush(this.syncEachBatch);
    this.rowsWritten += n;
    return n;
  }

  /**
   * Resolves once every row written so far is durable: for a writer made with syncEachBatch
   * false whose caller commits after several batches at once (the sink, partitions handled
   * concurrently), one fsync off the event loop covers them all.
   */
  sync(): Promise<void> {
    this.groupFsync ??= new GroupFsync(this.fd);
    return this.groupFsync.sync();
  }

  private groupFsync: GroupFsync | null = null;

  close(): void {
    if (!this.syncEachBatch) fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
