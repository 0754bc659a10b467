// A live packet source behind the same PacketHandler seam as the pcap reader, built so the
// capture never waits for the rest of nids. libpcap runs in a thread of its own (nids'
// binding, native/pcap): it pcap_dispatch()es whole batches (TPACKET_V3 blocks) into a
// ring in shared memory (lib/capture/ring.ts). This, the JavaScript side, drains the ring
// in batches between other work (scoring, Kafka, output) and calls the handler with a view
// into the ring, so there is no allocation per packet.
//
// Nothing is lost silently. Packets can go missing in three places, each counted
// (stats().dropped, and nids_sensor_capture_dropped_total{reason} through lib/pipeline):
// - ring_full: the capture thread found the ring full (the JavaScript side was behind);
// - kernel: libpcap's socket buffer (--buffer-mb) overflowed (pcap_stats ps_drop);
// - interface: the interface or its driver dropped them (pcap_stats ps_ifdrop).
// The capture thread puts a LOSS record into the ring where packets went missing, in
// stream order, so `lastLossMicros` tells which flows were open while packets were lost.
//
// Why our own binding and not the npm package `cap` (0.2.1), which this replaced: cap
// calls back into JavaScript once per packet on the main thread (the capture stops whenever
// the flow table, the scorer or Kafka runs, which lost 26 % at 150 k packets/s and 49 % at
// 350 k), has no pcap_stats (drops were invisible), no kernel timestamps and no way to turn
// promiscuous mode off. bench/RESULTS.md has the figures.
import { networkInterfaces } from 'node:os';
import type { PacketHandler } from '../pcap/types.ts';
import { LinkType } from '../pcap/types.ts';
import { CAPTURE_DEFAULTS } from '../config/stages.ts';
import { loadBinding, type NativeBinding, type NativeHandle } from './native.ts';
import { CaptureRing, type RingConsumer } from './ring.ts';

const PERMISSION_FIX = 'run as root or `setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`';
/** Records handed to the handler before the event loop gets a turn (timers, Kafka, scoring). */
const DRAIN_BUDGET = 8192;
/** How long the reader sleeps when the ring is empty. */
const IDLE_POLL_MS = 1;

export type CaptureErrorCode = 'not-installed' | 'no-such-interface' | 'permission' | 'open-failed' | 'handler-failed';

/** A capture that could not start or had to stop; the message says what to do about it. */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LiveCaptureOptions {
  /** Interface name, or `any` (LINKTYPE_LINUX_SLL) for all of them. */
  iface: string;
  /** BPF filter expression (pcap-filter(7)); empty or absent: every packet. */
  filter?: string;
  /** Bytes kept of each packet (default 65535). */
  snapLen?: number;
  /** Promiscuous mode (default true). */
  promisc?: boolean;
  /** libpcap's kernel buffer, bytes: what absorbs bursts while the capture thread is busy. */
  bufferBytes?: number;
  /** The ring between the capture thread and JavaScript, bytes: what absorbs bursts while JavaScript is busy. */
  ringBytes?: number;
  /** Called once if the handler throws or the capture fails: the capture is stopped first. */
  onError?: (err: Error) => void;
}

/** Packets that never reached the handler, by where they were lost. */
export interface CaptureDrops {
  ring_full: number;
  kernel: number;
  interface: number;
}
export const DROP_REASONS = ['ring_full', 'kernel', 'interface'] as const satisfies readonly (keyof CaptureDrops)[];

export interface LiveCaptureStats {
  /** Packets handed to the handler. */
  packets: number;
  /** Captured bytes handed to the handler. */
  bytes: number;
  /** Packets cut at the snap length. */
  truncated: number;
  dropped: CaptureDrops;
}

/** Packets lost / packets offered (handed over + lost), 0 when nothing was offered. */
export const lossRate = (s: Pick<LiveCaptureStats, 'packets' | 'dropped'>): number => {
  const lost = s.dropped.ring_full + s.dropped.kernel + s.dropped.interface;
  return lost === 0 ? 0 : lost / (lost + s.packets);
};

/** Whether the binding loads; the reason when it does not. */
export function captureAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    loadBinding();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

function binding(): NativeBinding {
  try {
    return loadBinding();
  } catch (err) {
    throw new CaptureError('not-installed', (err as Error).message, { cause: err });
  }
}

/** The interfaces libpcap can capture on, with their addresses when they have any. */
function describeInterfaces(): string {
  const addrs = networkInterfaces();
  return binding()
    .interfaces()
    .map((name) => {
      const a = (addrs[name] ?? []).map((x) => x.address);
      return a.length ? `${name} (${a.join(', ')})` : name;
    })
    .join(', ');
}

/** LINKTYPE_* from libpcap's DLT_* (they differ only below 104, and DLT_RAW by platform). */
function linkTypeOf(dlt: number): number {
  if (dlt === 12 || dlt === 14) return LinkType.RAW;
  return dlt;
}

/**
 * Capture timestamps come from the kernel (the pcap header); this clock only moves the
 * flow table's time on while the wire is quiet: performance.now() plus an offset to the
 * wall clock that is re-read once a second, so it follows NTP corrections.
 */
export class LiveClock {
  private offsetMs = 0;
  private syncedAt = -Infinity;

  nowMicros(): number {
    const p = performance.now();
    if (p - this.syncedAt >= 1000) {
      this.offsetMs = Date.now() - p;
      this.syncedAt = p;
    }
    return Math.floor((p + this.offsetMs) * 1000);
  }
}

export class LiveCapture implements RingConsumer {
  readonly clock = new LiveClock();
  /** LINKTYPE_* of the packets. */
  readonly linkType: number;
  /** The BPF filter in force. */
  readonly filter: string;
  /** Capture time of the latest LOSS record read: a flow that started at or before it and is exported after it was open while packets were lost (-1: none). */
  lastLossMicros = -1;
  private readonly native: NativeBinding;
  private readonly handle: NativeHandle;
  private readonly ring: CaptureRing;
  private packets = 0;
  private bytes = 0;
  private truncated = 0;
  /** Time handed out last: packet times never go backwards (the flow table's inter-arrival times rely on it). */
  private lastMicros = 0;
  private open = true;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private finalDrops: CaptureDrops | null = null;

  constructor(
    private readonly handler: PacketHandler,
    readonly opts: LiveCaptureOptions,
  ) {
    this.native = binding();
    const snapLen = opts.snapLen ?? CAPTURE_DEFAULTS.snaplen;
    const bufferBytes = opts.bufferBytes ?? CAPTURE_DEFAULTS.bufferMb * 1024 * 1024;
    const ringBytes = opts.ringBytes ?? CAPTURE_DEFAULTS.ringMb * 1024 * 1024;
    if (!(Number.isInteger(snapLen) && snapLen >= 64 && snapLen <= 65535)) throw new CaptureError('open-failed', `snap length must be 64..65535, got ${snapLen}`);
    if (!(Number.isInteger(bufferBytes) && bufferBytes > 0)) throw new CaptureError('open-failed', `buffer size must be a positive whole number of bytes, got ${bufferBytes}`);
    // Two records of the largest size at least, or a packet could never fit.
    if (!(Number.isInteger(ringBytes) && ringBytes >= 2 * (snapLen + 16) + 64)) throw new CaptureError('open-failed', `ring size must be at least ${2 * (snapLen + 16) + 64} bytes for snap length ${snapLen}, got ${ringBytes}`);
    if (!this.native.interfaces().includes(opts.iface)) {
      throw new CaptureError('no-such-interface', `no such interface "${opts.iface}"; available: ${describeInterfaces() || '(none visible: permissions?)'}`);
    }
    this.filter = (opts.filter ?? '').trim();
    this.ring = new CaptureRing(ringBytes);
    try {
      const opened = this.native.open(
        { iface: opts.iface, filter: this.filter, snaplen: snapLen, bufferBytes, promisc: opts.promisc ?? true, immediate: false, timeoutMs: 50 },
        this.ring.bytes,
      );
      this.handle = opened.handle;
      this.linkType = linkTypeOf(opened.dlt);
    } catch (err) {
      throw openError(opts.iface, this.filter, err as Error & { code?: string });
    }
    this.schedule(0);
  }

  get running(): boolean {
    return this.open;
  }

  stats(): LiveCaptureStats {
    return { packets: this.packets, bytes: this.bytes, truncated: this.truncated, dropped: this.finalDrops ?? this.drops() };
  }

  /** Closes the capture (idempotent): the packets already captured still reach the handler, then nothing. */
  stop(): LiveCaptureStats {
    if (this.open) {
      this.open = false;
      if (this.timer) clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.native.stop(this.handle);
      this.finalDrops = this.drops();
      try {
        while (this.ring.drain(DRAIN_BUDGET, this) > 0);
      } catch (err) {
        this.fail(err as Error);
      }
    }
    return this.stats();
  }

  /** Now, for moving the flow table's time on: never before a packet already handed over. */
  nowMicros(): number {
    const t = this.clock.nowMicros();
    if (t > this.lastMicros) this.lastMicros = t;
    return this.lastMicros;
  }

  /** RingConsumer: one packet to the handler. */
  packet(data: Buffer, offset: number, capturedLength: number, wireLength: number, tsMicros: number): void {
    if (tsMicros > this.lastMicros) this.lastMicros = tsMicros;
    this.packets++;
    this.bytes += capturedLength;
    if (capturedLength < wireLength) this.truncated++;
    this.handler.onPacket(data, offset, capturedLength, wireLength, this.lastMicros, this.linkType);
  }

  /** RingConsumer: packets went missing here. */
  loss(_lost: number, tsMicros: number): void {
    this.lastLossMicros = Math.max(tsMicros, this.lastMicros);
  }

  private drops(): CaptureDrops {
    const s = this.native.stats(this.handle);
    return { ring_full: s.ringFull, kernel: s.kernelDrop, interface: s.ifaceDrop };
  }

  private schedule(delayMs: number): void {
    if (delayMs > 0) this.timer = setTimeout(() => this.drainSome(), delayMs);
    else this.immediate = setImmediate(() => this.drainSome());
  }

  private drainSome(): void {
    this.timer = null;
    this.immediate = null;
    if (!this.open) return;
    let n: number;
    try {
      n = this.ring.drain(DRAIN_BUDGET, this);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (n === 0 && this.ring.writerEnded) {
      const why = this.native.stats(this.handle).error ?? 'the capture thread ended';
      this.stop();
      this.opts.onError?.(new CaptureError('open-failed', `capture on "${this.opts.iface}" failed: ${why}`));
      return;
    }
    this.schedule(n === 0 ? IDLE_POLL_MS : 0);
  }

  private fail(err: Error): void {
    this.stop();
    this.opts.onError?.(new CaptureError('handler-failed', `packet handler failed: ${err.message}`, { cause: err }));
  }
}

// The libpcap message is quoted in each; no `cause`, so a log line says it once.
function openError(iface: string, filter: string, err: Error & { code?: string }): CaptureError {
  const msg = err.message;
  if (err.code === 'permission' || /permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return new CaptureError('permission', `capturing on "${iface}" needs CAP_NET_RAW: ${PERMISSION_FIX} (libpcap: ${msg})`);
  }
  if (err.code === 'no-such-interface') {
    return new CaptureError('no-such-interface', `no such interface "${iface}"; available: ${describeInterfaces()} (libpcap: ${msg})`);
  }
  if (err.code === 'bad-filter') return new CaptureError('open-failed', `invalid BPF filter "${filter}": ${msg}`);
  return new CaptureError('open-failed', `cannot capture on "${iface}": ${msg}`);
}

/**
 * Opens and at once closes a capture with these options: what start-up runs before
 * connecting anywhere, so a missing permission, interface or a bad filter stops it at once.
 */
export function probeCapture(opts: Omit<LiveCaptureOptions, 'onError'>): { linkType: number; filter: string } {
  const c = new LiveCapture({ onPacket() {} }, { ...opts, bufferBytes: Math.min(opts.bufferBytes ?? 1 << 20, 1 << 20), ringBytes: 4 << 20 });
  c.stop();
  return { linkType: c.linkType, filter: c.filter };
}
