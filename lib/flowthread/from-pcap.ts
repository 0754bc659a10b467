// A capture file into flows on two threads: a worker (worker.ts) reads, decodes and keeps
// the flow table, and computes each ended flow's Community ID and flow id; this thread turns
// the rows of ended flows into Flow records (addresses as text, ctx_* and the host
// statistics: lib/flow/exporter.ts) and hands them to the consumer. The worker's table is the only one, so flows end in the same order and
// with the same contents as on one thread (lib/flow/from-pcap.ts); the per-source state
// sees them in that order too. Same contract as flowsFromPcap: back-pressure through
// `drain`, progress, abort (every open flow still exported), damage reported, not thrown.
import { Worker } from 'node:worker_threads';
import { FlowExporter } from '../flow/exporter.ts';
import { RECORD_SLOTS } from '../flow/export-record.ts';
import type { PcapFlowStats } from '../flow/from-pcap.ts';
import type { Flow } from '../flow/record.ts';
import type { FlowTableOptions, FlowTableStats } from '../flow/table.ts';
import { PcapFormatError, type PcapReadOptions } from '../pcap/reader.ts';
import { PathError } from '../output/index.ts';
import { COMMUNITY_ID_CHARS, ID_CHARS, type FlowThreadInput, type FromFlowThread, type ToFlowThread } from './protocol.ts';

/** What the metrics read while the table runs in the worker: its latest counters. */
export interface FlowStatsSource {
  stats(): FlowTableStats;
}

/**
 * Built, the worker is the .js beside this module. From the sources (tsx), it is the .ts,
 * and a worker does not inherit the parent's module loader: it registers tsx first.
 */
function startWorker(input: FlowThreadInput): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: input });
}

/** An Error of the worker's, with its class where callers tell them apart. */
function errorFrom(m: Extract<FromFlowThread, { type: 'error' }>): Error {
  if (m.name === 'PcapFormatError') return new PcapFormatError(m.message, m.offset, m.detail);
  if (m.name === 'PathError') return new PathError(m.message);
  const e = new Error(m.message);
  e.name = m.name;
  return e;
}

export async function flowsFromPcapInThread(
  path: string,
  opts: Omit<FlowTableOptions, 'onExport' | 'onRecord'>,
  onFlow: (flow: Flow) => void,
  readerOpts: PcapReadOptions = {},
  onStats?: (source: FlowStatsSource) => void,
): Promise<PcapFlowStats> {
  const exporter = new FlowExporter(opts.sensorId, opts.contextWindowS, opts.maxSources);
  let latest: FlowTableStats | null = null;
  const withSources = (s: FlowTableStats): FlowTableStats => ({ ...s, sourceEvictions: exporter.sourceEvictions, serviceEvictions: exporter.serviceEvictions });
  onStats?.({ stats: () => withSources(latest ?? emptyStats()) });

  const worker = startWorker({ path, table: opts, replaySpeed: readerOpts.replaySpeed ?? 0 });
  const onAbort = () => worker.postMessage({ type: 'abort' } satisfies ToFlowThread);
  if (readerOpts.signal?.aborted) onAbort();
  else readerOpts.signal?.addEventListener('abort', onAbort, { once: true });

  // Messages are handled one at a time, in order, each finished (back-pressure awaited)
  // before the next: a batch's flows reach the consumer before the progress that follows.
  const queue: (FromFlowThread | { type: 'exit'; code: number })[] = [];
  let pumping = false;
  let settle!: { resolve: (s: PcapFlowStats) => void; reject: (e: Error) => void };
  const result = new Promise<PcapFlowStats>((resolve, reject) => (settle = { resolve, reject }));
  let settled = false;
  const fail = (err: Error) => {
    if (!settled) settle.reject(err);
    settled = true;
  };

  async function handle(m: FromFlowThread | { type: 'exit'; code: number }): Promise<void> {
    if (m.type === 'rows') {
      const rows = new Float64Array(m.buf);
      let next = 0;
      for (let i = 0; i < m.count; i++) {
        const named = next < m.nameRows.length && m.nameRows[next] === i;
        const row = rows.subarray(i * RECORD_SLOTS, (i + 1) * RECORD_SLOTS);
        const o = i * ID_CHARS;
        const cid = m.ids.slice(o, o + COMMUNITY_ID_CHARS);
        onFlow(exporter.build(row, named ? m.names[next++]! : null, cid, m.ids.slice(o + COMMUNITY_ID_CHARS, o + ID_CHARS)));
      }
      const pending = readerOpts.drain?.();
      if (pending) await pending;
      worker.postMessage({ type: 'rows-done', buf: m.buf } satisfies ToFlowThread, [m.buf]);
    } else if (m.type === 'progress') {
      latest = m.stats;
      readerOpts.onProgress?.({ bytesRead: m.bytesRead, totalBytes: m.totalBytes, packets: m.packets });
    } else if (m.type === 'done') {
      latest = m.stats;
      settled = true;
      settle.resolve({ ...withSources(m.stats), ...m.read, aborted: m.aborted });
    } else if (m.type === 'exit') fail(new Error(`flow thread stopped (exit code ${m.code}) before the end of ${path}`));
    else fail(errorFrom(m));
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0 && !settled) await handle(queue.shift()!);
    } catch (err) {
      fail(err as Error);
    } finally {
      pumping = false;
    }
  }

  const enqueue = (m: (typeof queue)[number]) => {
    queue.push(m);
    void pump();
  };
  worker.on('message', enqueue);
  worker.on('error', (err) => fail(err));
  // After the messages it sent: a worker that ends without 'done' fails the read.
  worker.on('exit', (code) => enqueue({ type: 'exit', code }));
  try {
    return await result;
  } finally {
    readerOpts.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}

function emptyStats(): FlowTableStats {
  return { packets: 0, bytes: 0, decodeErrors: {}, fragments: 0, decoded: 0, unsupportedLinkType: -1, flowsOpen: 0, flowsExported: { idle: 0, active: 0, fin: 0, rst: 0, evicted: 0, shutdown: 0 }, evictions: 0, sourceEvictions: 0, serviceEvictions: 0 };
}
