// A live packet source behind the same PacketHandler seam as the pcap reader: libpcap
// through the optional npm package `cap` (0.2.1). cap copies each packet into one Buffer
// we hand it at open() and emits 'packet' (nbytes, truncated); we call the handler
// synchronously with a view into that same buffer, so there is no allocation of ours per
// packet (cap itself makes a couple of V8 handles per event).
//
// What cap 0.2.1 can and cannot do (read from its src/binding.cc), and what follows here:
// - It always opens with snaplen 65535 and promiscuous mode on; neither is a parameter.
//   `snapLen` is applied by the size of our packet buffer: cap copies at most that many
//   bytes and reports `truncated` (counted). `promisc: false` is emulated for Ethernet
//   interfaces by a BPF clause keeping only what the NIC would accept without promiscuous
//   mode (frames to or from its own MAC, broadcast, multicast); the interface itself is
//   still put into promiscuous mode by libpcap.
// - It gives neither the pcap header timestamp nor the original length: see LiveClock for
//   the timestamps; the wire length passed on is the captured length (the flow table takes
//   byte counts from the IP header, so a snapped packet still counts its full size).
// - It has no pcap_stats binding, so the kernel's drop counts (ps_drop, ps_ifdrop) are NOT
//   available: only packets seen and packets truncated are counted here.
// - It treats any warning from pcap_activate as an error; libpcap 1.10 opens `any` with
//   promiscuous mode asked for without one, older ones may refuse (handled below).
// - Before opening, it prints "Warning: ... This may not actually work" on stderr for an
//   interface without an IPv4 address (pcap_lookupnet): harmless, only the BPF netmask.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { PacketHandler } from '../pcap/types.ts';
import { LinkType } from '../pcap/types.ts';

const CAP_FIX = 'apt-get install libpcap-dev && npm rebuild cap';
const PERMISSION_FIX = 'run as root or `setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`';

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
  /** Bytes kept of each packet (default 65535, cap's own ceiling). */
  snapLen?: number;
  /** Promiscuous mode (default true); see the header for what false does with cap 0.2.1. */
  promisc?: boolean;
  /** libpcap's kernel ring buffer, bytes (default 64 MiB): what absorbs bursts. */
  bufferBytes?: number;
  /** Called once if the handler throws: the capture is stopped first. */
  onError?: (err: Error) => void;
}

export interface LiveCaptureStats {
  /** Packets handed to the handler. */
  packets: number;
  /** Captured bytes handed to the handler. */
  bytes: number;
  /** Packets cut at the snap length. */
  truncated: number;
}

export interface InterfaceInfo {
  name: string;
  description?: string;
  addresses: { addr: string; netmask?: string }[];
}

// The part of cap's API we use (it ships no types).
interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}
interface CapModule {
  Cap: { new (): CapInstance; deviceList(): InterfaceInfo[] };
}

let capModule: CapModule | null = null;

/** Loads `cap` on first use, so everything else works when the native build failed. */
function loadCap(): CapModule {
  if (capModule) return capModule;
  try {
    capModule = createRequire(import.meta.url)('cap') as CapModule;
    return capModule;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'cap'/.test((err as Error).message);
    throw new CaptureError(
      'not-installed',
      `live capture needs the optional npm package \`cap\`, which is not installed or did not build (${(err as Error).message.split('\n')[0]}): ` +
        `${CAP_FIX}${missing ? ' (or, as node_modules/cap is missing altogether: apt-get install libpcap-dev && npm ci)' : ''}`,
      { cause: err },
    );
  }
}

/** Whether `cap` loads; the reason when it does not. */
export function capAvailable(): { ok: true } | { ok: false; reason: string } {
  try {
    loadCap();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** The interfaces libpcap can capture on. */
function listInterfaces(): InterfaceInfo[] {
  return loadCap().Cap.deviceList();
}

const describe = (ifs: InterfaceInfo[]): string =>
  ifs.map((i) => `${i.name}${i.addresses.length ? ` (${i.addresses.map((a) => a.addr).join(', ')})` : ''}`).join(', ');

/**
 * Checks, before anything is opened, that `cap` loads and that the interface exists;
 * throws a CaptureError naming the available interfaces otherwise.
 */
function checkInterface(iface: string): void {
  const ifs = listInterfaces();
  if (!ifs.some((i) => i.name === iface)) {
    throw new CaptureError('no-such-interface', `no such interface "${iface}"; available: ${describe(ifs) || '(none visible: permissions?)'}`);
  }
}

/** LINKTYPE_* number from the name cap returns ("ETHERNET", ..., "Unknown linktype 276"). */
function linkTypeOf(capName: string): number {
  switch (capName) {
    case 'ETHERNET':
      return LinkType.ETHERNET;
    case 'NULL':
      return LinkType.NULL;
    case 'RAW':
      return LinkType.RAW; // DLT_RAW is 12 or 14 by platform; LINKTYPE_RAW is 101
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'IEEE802_11_RADIO':
      return 127;
  }
  // DLT and LINKTYPE values agree above 104 (SLL2 is 276 in both).
  const m = /Unknown linktype (\d+)/.exec(capName);
  if (m) return Number(m[1]);
  throw new CaptureError('open-failed', `unexpected link type from cap: ${capName}`);
}

/**
 * Capture timestamps. cap does not pass on the pcap header's timestamp, so the time a
 * packet reaches JavaScript stands in for it: performance.now() (sub-millisecond, monotonic,
 * no syscall) plus an offset to the wall clock that is re-read once a second, so the clock
 * follows NTP corrections. Timestamps never go backwards (the flow table's inter-arrival
 * times rely on it): after a step back, time stands still until the wall clock catches up.
 * A cheap clock matters because it runs once per packet; the cost of using it is that
 * packets libpcap hands over in one batch get nearly the same time (event-loop granularity
 * rather than the kernel's receive time).
 */
export class LiveClock {
  private offsetMs = 0;
  private syncedAt = -Infinity;
  private last = 0;

  nowMicros(): number {
    const p = performance.now();
    if (p - this.syncedAt >= 1000) {
      this.offsetMs = Date.now() - p;
      this.syncedAt = p;
    }
    const t = Math.floor((p + this.offsetMs) * 1000);
    if (t > this.last) this.last = t;
    return this.last;
  }
}

/** The BPF clause for promisc: false on an Ethernet interface, or null when there is none to make. */
function nonPromiscClause(iface: string): string | null {
  try {
    if (readFileSync(`/sys/class/net/${iface}/type`, 'utf8').trim() !== '1') return null; // ARPHRD_ETHER
    const mac = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
    return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) ? `ether host ${mac} or ether multicast` : null;
  } catch {
    return null;
  }
}

// Every Cap object stays referenced for the life of the process. cap 0.2.1 embeds a libuv
// poll handle in its native object and, on close(), only stops it, never uv_close()s it: once
// the object is garbage-collected, libuv's handle list points into freed memory and the
// process crashes later (SIGSEGV, seen in the tests). And after a failed open() its
// destructor would stop a poll handle it never initialised. A few hundred bytes per
// capture opened (the sensor opens two: the probe and the capture) is the price.
const retained: CapInstance[] = [];

export class LiveCapture {
  readonly clock = new LiveClock();
  /** LINKTYPE_* of the packets. */
  readonly linkType: number;
  /** The BPF filter in force (with the non-promiscuous clause, when one applies). */
  readonly filter: string;
  private readonly cap: CapInstance;
  private readonly buf: Buffer;
  private packets = 0;
  private bytes = 0;
  private truncated = 0;
  private open = true;

  constructor(
    private readonly handler: PacketHandler,
    readonly opts: LiveCaptureOptions,
  ) {
    const { Cap } = loadCap();
    checkInterface(opts.iface);
    const snapLen = opts.snapLen ?? 65535;
    const bufferBytes = opts.bufferBytes ?? 64 << 20;
    if (!(Number.isInteger(snapLen) && snapLen >= 64 && snapLen <= 65535)) throw new CaptureError('open-failed', `snap length must be 64..65535, got ${snapLen}`);
    if (!(Number.isInteger(bufferBytes) && bufferBytes > 0)) throw new CaptureError('open-failed', `buffer size must be a positive whole number of bytes, got ${bufferBytes}`);
    let filter = (opts.filter ?? '').trim();
    if (opts.promisc === false) {
      const own = nonPromiscClause(opts.iface);
      if (own) filter = filter ? `(${filter}) and (${own})` : own;
    }
    this.filter = filter;
    // One buffer for every packet: its length is the effective snap length.
    this.buf = Buffer.alloc(snapLen);
    this.cap = new Cap();
    retained.push(this.cap);
    let name: string;
    try {
      name = this.cap.open(opts.iface, filter, bufferBytes, this.buf);
    } catch (err) {
      throw openError(opts.iface, filter, err as Error);
    }
    this.linkType = linkTypeOf(name);
    const buf = this.buf;
    const linkType = this.linkType;
    const clock = this.clock;
    this.cap.on('packet', (nbytes, truncated) => {
      this.packets++;
      this.bytes += nbytes;
      if (truncated) this.truncated++;
      try {
        handler.onPacket(buf, 0, nbytes, nbytes, clock.nowMicros(), linkType);
      } catch (err) {
        this.stop();
        opts.onError?.(new CaptureError('handler-failed', `packet handler failed: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  get running(): boolean {
    return this.open;
  }

  stats(): LiveCaptureStats {
    return { packets: this.packets, bytes: this.bytes, truncated: this.truncated };
  }

  /** Closes the capture (idempotent); no packet reaches the handler afterwards. */
  stop(): LiveCaptureStats {
    if (this.open) {
      this.open = false;
      this.cap.close();
      this.cap.removeAllListeners('packet');
    }
    return this.stats();
  }
}

// The libpcap message is quoted in each; no `cause`, so a log line says it once.
function openError(iface: string, filter: string, err: Error): CaptureError {
  const msg = err.message;
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return new CaptureError('permission', `capturing on "${iface}" needs CAP_NET_RAW: ${PERMISSION_FIX} (libpcap: ${msg})`);
  }
  if (/no such device|doesn't exist|does not exist/i.test(msg)) {
    let available = '';
    try {
      available = `; available: ${describe(listInterfaces())}`;
    } catch {
      // the listing is a courtesy
    }
    return new CaptureError('no-such-interface', `no such interface "${iface}"${available} (libpcap: ${msg})`);
  }
  if (/promiscuous mode not supported/i.test(msg)) {
    return new CaptureError(
      'open-failed',
      `cannot capture on "${iface}": cap 0.2.1 always asks for promiscuous mode, which libpcap does not support there (libpcap: ${msg}); capture on a named interface instead`,
    );
  }
  if (filter && /syntax|filter|parse|expression|unknown/i.test(msg)) {
    return new CaptureError('open-failed', `invalid BPF filter "${filter}": ${msg}`);
  }
  return new CaptureError('open-failed', `cannot capture on "${iface}": ${msg}`);
}

/**
 * Opens and at once closes a capture with these options: what start-up runs before
 * connecting anywhere, so a missing permission, interface or a bad filter stops it at once.
 */
export function probeCapture(opts: Omit<LiveCaptureOptions, 'onError'>): { linkType: number; filter: string } {
  const c = new LiveCapture({ onPacket() {} }, { ...opts, bufferBytes: Math.min(opts.bufferBytes ?? 1 << 20, 1 << 20) });
  c.stop();
  return { linkType: c.linkType, filter: c.filter };
}
