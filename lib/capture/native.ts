// The libpcap binding written for nids (native/pcap, built by `npm ci` as the optional
// package nids-pcap): its API as TypeScript, loaded on first use so that everything that
// does not capture live keeps working when the build failed.
import { createRequire } from 'node:module';

/** Counters of one capture, totals since it opened. */
export interface NativeStats {
  /** Packets libpcap handed to the capture thread. */
  packets: number;
  /** Packets the capture thread could not put in the ring: the JavaScript side was behind. */
  ringFull: number;
  /** pcap_stats ps_drop: dropped by the kernel because the socket buffer was full. */
  kernelDrop: number;
  /** pcap_stats ps_ifdrop: dropped by the interface or its driver. */
  ifaceDrop: number;
  /** pcap_stats ps_recv. */
  kernelReceived: number;
  /** Why the capture thread ended on its own, or null. */
  error: string | null;
}

export interface NativeOpenOptions {
  iface: string;
  filter: string;
  snaplen: number;
  bufferBytes: number;
  promisc: boolean;
  /** pcap_set_immediate_mode: hand each packet over at once instead of per filled block. */
  immediate: boolean;
  /** The longest libpcap waits before handing over a partly filled block. */
  timeoutMs: number;
}

declare const handleBrand: unique symbol;
export type NativeHandle = { [handleBrand]: true };

export interface NativeBinding {
  /** Starts the capture thread writing into `ring` (lib/capture/ring.ts). Throws an Error whose `code` is no-such-interface, permission, bad-filter or open-failed. */
  open(opts: NativeOpenOptions, ring: Uint8Array): { handle: NativeHandle; dlt: number };
  stats(handle: NativeHandle): NativeStats;
  /** Ends the capture thread and closes libpcap; idempotent. What is in the ring stays. */
  stop(handle: NativeHandle): void;
  interfaces(): string[];
  libVersion(): string;
}

const BUILD_FIX = 'apt-get install build-essential libpcap-dev && npm rebuild nids-pcap';
let binding: NativeBinding | null = null;

/** The binding, or a one-line error saying how to build it. */
export function loadBinding(): NativeBinding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('nids-pcap') as NativeBinding;
    return binding;
  } catch (err) {
    throw new Error(`live capture needs nids' libpcap binding (native/pcap), which did not build or load (${(err as Error).message.split('\n')[0]}): ${BUILD_FIX}`, { cause: err });
  }
}
