// What the flow thread (worker.ts) and the thread that exports its flows (from-pcap.ts)
// say to each other. Ended flows travel as rows (lib/flow/export-record.ts) in batches:
// one ArrayBuffer of BATCH_ROWS rows, transferred (not copied) to the exporting thread and
// transferred back once its flows are consumed. At most BATCHES_IN_FLIGHT batches are out
// at a time: the flow thread's reader then waits, which carries the consumer's back-pressure
// (a Kafka producer, the scorer queue) up to the file.
import type { FlowTableOptions, FlowTableStats } from '../flow/table.ts';
import type { ReadResult } from '../pcap/reader.ts';
import { RECORD_SLOTS } from '../flow/export-record.ts';

export const BATCH_ROWS = 1024;
export const BATCH_BYTES = BATCH_ROWS * RECORD_SLOTS * 8;
export const BATCHES_IN_FLIGHT = 4;
/** A Community ID ("1:" and 28 base64 characters) then a flow id (16 hex digits). */
export const COMMUNITY_ID_CHARS = 30;
export const ID_CHARS = COMMUNITY_ID_CHARS + 16;
/** Progress (and the table's counters for /metrics) at most this often. */
export const PROGRESS_EVERY_MS = 100;

/** workerData: the capture and the table's settings (numbers and the sensor id). */
export interface FlowThreadInput {
  path: string;
  table: Omit<FlowTableOptions, 'onExport' | 'onRecord'>;
  replaySpeed: number;
}

export type ReadSummary = Pick<ReadResult, 'truncatedRecords' | 'truncatedAt' | 'damage' | 'timeWentBack'>;

/** Flow thread to exporter. */
export type FromFlowThread =
  /**
   * `count` rows in `buf`; `ids`: each row's Community ID and flow id (the two SHA-1s, done on
   * the flow thread), ID_CHARS characters a row, one string (one copy per batch, not per
   * flow); the DNS names of rows `nameRows[i]` are `names[i]` (others: none).
   */
  | { type: 'rows'; buf: ArrayBuffer; count: number; ids: string; nameRows: number[]; names: string[] }
  | { type: 'progress'; bytesRead: number; totalBytes: number; packets: number; stats: FlowTableStats }
  | { type: 'done'; stats: FlowTableStats; read: ReadSummary; aborted: boolean }
  | { type: 'error'; name: string; message: string; offset: number; detail: string };

/** Exporter to flow thread. */
export type ToFlowThread = { type: 'abort' } | { type: 'rows-done'; buf: ArrayBuffer };
