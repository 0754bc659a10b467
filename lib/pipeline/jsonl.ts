// A JSON-lines output of the sink (incidents.jsonl, alerts.ecs.ndjson): each record
// written once per id, like the CSV. On open the ids of the lines already there are
// loaded, so a replay after a crash (at-least-once delivery) appends nothing twice
// (append-file.ts cuts a torn last line off).
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { readCompleteLines } from './append-file.ts';
import { LineWriter } from '../output/line-writer.ts';

export class JsonlWriter<T> {
  private readonly fd: number;
  private readonly lines: LineWriter;
  private readonly seen = new Set<string>();
  linesWritten = 0;
  duplicatesDropped = 0;

  /**
   * @param idOf the record's id (from the record, and from each parsed line on open)
   * @param syncEachBatch fsync before write() returns (the sink commits offsets after that)
   */
  constructor(
    readonly path: string,
    private readonly idOf: (record: T) => string,
    private readonly syncEachBatch = true,
  ) {
    this.recover();
    this.fd = openSync(path, 'a');
    this.lines = new LineWriter(this.fd);
  }

  private recover(): void {
    readCompleteLines(this.path).forEach((line, i) => {
      if (!line) return;
      try {
        this.seen.add(this.idOf(JSON.parse(line) as T));
      } catch {
        throw new Error(`${this.path}:${i + 1}: not a JSON line of nids; move the file away or choose another --out`);
      }
    });
  }

  /** Appends the records whose id was not written before; durable when it returns (syncEachBatch). */
  write(records: readonly T[]): number {
    let n = 0;
    for (const r of records) {
      const id = this.idOf(r);
      if (this.seen.has(id)) {
        this.duplicatesDropped++;
        continue;
      }
      this.seen.add(id);
      this.lines.add(JSON.stringify(r) + '\n');
      n++;
    }
    if (n > 0) this.lines.flush(this.syncEachBatch);
    this.linesWritten += n;
    return n;
  }

  close(): void {
    if (!this.syncEachBatch) fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
