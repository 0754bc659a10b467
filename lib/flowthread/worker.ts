// The flow thread: reads the capture, decodes and keeps the flow table (the per-packet
// work), and hands each ended flow as a row to the thread that started it (protocol.ts),
// which builds the Flow records. Started by from-pcap.ts; ends after 'done' or 'error'.
import { parentPort, workerData } from 'node:worker_threads';
import { FlowTable } from '../flow/table.ts';
import { RECORD_SLOTS, R_TS_FIRST } from '../flow/export-record.ts';
import { communityIdOf } from '../flow/exporter.ts';
import { flowId } from '../flow/flow-id.ts';
import { readPcapFile, PcapFormatError, type ReadDamage } from '../pcap/reader.ts';
import { BATCH_BYTES, BATCH_ROWS, BATCHES_IN_FLIGHT, PROGRESS_EVERY_MS, type FlowThreadInput, type FromFlowThread, type ToFlowThread } from './protocol.ts';

const CHUNK_BYTES = 4 << 20;
/** Open flows exported at the end of the input between two waits for the exporter. */
const FLUSH_SLICE = 4096;

const port = parentPort!;
const input = workerData as FlowThreadInput;
const stop = new AbortController();
const free: ArrayBuffer[] = [];
let inFlight = 0;
let wake: (() => void) | null = null;

port.on('message', (m: ToFlowThread) => {
  if (m.type === 'abort') stop.abort();
  else {
    inFlight--;
    if (free.length < BATCHES_IN_FLIGHT) free.push(m.buf);
    if (wake && inFlight < BATCHES_IN_FLIGHT) {
      const w = wake;
      wake = null;
      w();
    }
  }
});

let buf = new ArrayBuffer(BATCH_BYTES);
let rows = new Float64Array(buf);
let count = 0;
let ids = '';
let nameRows: number[] = [];
let names: string[] = [];

function send(): void {
  if (count === 0) return;
  const msg: FromFlowThread = { type: 'rows', buf, count, ids, nameRows, names };
  port.postMessage(msg, [buf]);
  inFlight++;
  // A burst within one chunk of the file (a sweep of many idle flows) takes a new buffer
  // rather than waiting: waiting is only possible between chunks.
  buf = free.pop() ?? new ArrayBuffer(BATCH_BYTES);
  rows = new Float64Array(buf);
  count = 0;
  ids = '';
  nameRows = [];
  names = [];
}

/** Between chunks: hands over what ended, then waits while the exporter is behind. */
function drain(): Promise<void> | undefined {
  send();
  return inFlight < BATCHES_IN_FLIGHT ? undefined : new Promise<void>((resolve) => (wake = resolve));
}

const table = new FlowTable({
  ...input.table,
  onRecord: (row, dnsName) => {
    rows.set(row, count * RECORD_SLOTS);
    const cid = communityIdOf(row);
    ids += cid + flowId(input.table.sensorId, cid, row[R_TS_FIRST]!);
    if (dnsName !== null) {
      nameRows.push(count);
      names.push(dnsName);
    }
    if (++count === BATCH_ROWS) send();
  },
});

function post(m: FromFlowThread): void {
  port.postMessage(m);
}

let lastProgress = -Infinity;
try {
  let read = { truncatedRecords: 0, truncatedAt: -1, damage: null as ReadDamage | null, timeWentBack: 0 };
  let aborted = false;
  try {
    const r = await readPcapFile(input.path, table, {
      drain,
      replaySpeed: input.replaySpeed,
      signal: stop.signal,
      // Larger than the reader's default: fewer hand-overs (a batch and a wait) per file.
      chunkSize: CHUNK_BYTES,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_EVERY_MS && p.bytesRead < p.totalBytes) return;
        lastProgress = now;
        post({ type: 'progress', ...p, stats: table.stats() });
      },
    });
    read = { truncatedRecords: r.truncatedRecords, truncatedAt: r.truncatedAt, damage: r.damage, timeWentBack: r.timeWentBack };
  } catch (err) {
    if (!(stop.signal.aborted && err instanceof Error && err.name === 'AbortError')) throw err;
    aborted = true;
  }
  while (table.flush('shutdown', FLUSH_SLICE) > 0) {
    const pending = drain();
    if (pending) await pending;
  }
  send();
  post({ type: 'done', stats: table.stats(), read, aborted });
} catch (err) {
  const e = err as Error;
  post({ type: 'error', name: e.name, message: e.message, offset: e instanceof PcapFormatError ? e.offset : -1, detail: e instanceof PcapFormatError ? e.detail : e.message });
}
port.close();
