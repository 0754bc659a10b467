// One ended flow as a fixed row of numbers: what the flow table writes when a flow ends,
// before any string or object exists. FlowExporter (exporter.ts) turns a row into a Flow.
// The split lets the table run in one thread and the export in another (lib/flowthread/):
// rows travel in batches of transferred ArrayBuffers, nothing is cloned per flow.
//
// Layout, in Float64 slots: the two addresses as raw bytes first (initiator in bytes 0-15,
// responder in 16-31, IPv4 in the first 4 of each), then one number per field.

export const ADDR_SLOTS = 4;
export const R_IP_VERSION = 4;
export const R_PROTOCOL = 5;
export const R_SRC_PORT = 6;
export const R_DST_PORT = 7;
export const R_TS_FIRST = 8;
export const R_TS_LAST = 9;
export const R_PKTS_FWD = 10;
export const R_PKTS_REV = 11;
export const R_BYTES_FWD = 12;
export const R_BYTES_REV = 13;
export const R_PAYLOAD_FWD = 14;
export const R_PAYLOAD_REV = 15;
/** Seven counters: SYN, SYN-ACK, FIN, RST, PSH, URG, odd flag combinations. */
export const R_FLAGS = 16;
/** 1: the TCP handshake completed. */
export const R_HANDSHAKE = 23;
/** 1: a TCP SYN from the initiator and no SYN-ACK after it. */
export const R_SYN_ONLY = 24;
export const R_SIZE_MIN = 25;
export const R_SIZE_MAX = 26;
export const R_IAT_MEAN = 27;
export const R_IAT_M2 = 28;
export const R_SANITY = 29;
/** Index into END_REASONS. */
export const R_REASON = 30;
/** 1: a DNS message was parsed on the flow (then qtype and rcode hold, -1 when unseen). */
export const R_DNS = 31;
export const R_DNS_QTYPE = 32;
export const R_DNS_RCODE = 33;
export const RECORD_SLOTS = 34;

/** The bytes of a row's two addresses (a view, no copy). */
export function recordAddresses(row: Float64Array): Uint8Array {
  return new Uint8Array(row.buffer, row.byteOffset, ADDR_SLOTS * 8);
}
