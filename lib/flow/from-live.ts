// A live interface through the decoder and the flow table into flows: the live twin of
// from-pcap.ts. A timer moves the table's time on while the wire is quiet, so idle flows
// are exported on a silent link too; stop() closes the capture and exports every open flow
// ('shutdown'). A flow that was open while the capture lost packets leaves with
// capture_loss set: it may be missing some of its packets.
import { LiveCapture, type LiveCaptureOptions, type LiveCaptureStats } from '../capture/live.ts';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from './table.ts';
import type { Flow } from './record.ts';

export interface LiveFlowStats extends FlowTableStats {
  capture: LiveCaptureStats;
}

export interface LiveFlowOptions {
  /** How often the table's clock is advanced without packets (default 1000 ms). */
  advanceEveryMs?: number;
  /** Called once the table exists, before the first packet (metrics). */
  onTable?: (table: FlowTable, capture: LiveCapture) => void;
}

export class LiveFlows {
  readonly table: FlowTable;
  readonly capture: LiveCapture;
  /** Rejects if capture had to stop on its own (the packet path threw); never resolves. */
  readonly failed: Promise<never>;
  private timer: NodeJS.Timeout | null;
  private final: LiveFlowStats | null = null;

  constructor(
    captureOpts: Omit<LiveCaptureOptions, 'onError'>,
    tableOpts: Omit<FlowTableOptions, 'onExport'>,
    onFlow: (flow: Flow) => void,
    opts: LiveFlowOptions = {},
  ) {
    let fail: (err: Error) => void = () => {};
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => {}); // observed by whoever races it; never an unhandled rejection
    // Open while packets were lost <=> started before the latest loss and exported after the
    // capture read it (losses are read in stream order, see lib/capture/ring.ts).
    this.table = new FlowTable({
      ...tableOpts,
      onExport: (flow) => {
        if (flow.ts_start <= this.capture.lastLossMicros) flow.capture_loss = true;
        onFlow(flow);
      },
    });
    this.capture = new LiveCapture(this.table, { ...captureOpts, onError: (err) => fail(err) });
    opts.onTable?.(this.table, this.capture);
    const every = opts.advanceEveryMs ?? 1000;
    this.timer = setInterval(() => {
      try {
        this.table.advance(this.capture.nowMicros());
      } catch (err) {
        this.capture.stop();
        fail(err as Error);
      }
    }, every);
  }

  /** Closes the capture and exports every open flow (idempotent). */
  stop(): LiveFlowStats {
    if (this.final) return this.final;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const capture = this.capture.stop();
    this.table.flush('shutdown');
    this.final = { ...this.table.stats(), capture };
    return this.final;
  }
}
