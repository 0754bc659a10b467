// Builds packets layer by layer, for the simulator, the tests and the benchmarks: Ethernet
// (with 802.1Q/QinQ tags), IPv4 (options, fragments; header checksum, and the TCP/UDP
// checksum over the pseudo-header, so tshark reports no errors), IPv6, TCP, UDP, DNS.
// `tcpFrame` and `udpFrame` stack them into the Ethernet/IPv4 frames the simulator writes.
// TCP flag bits are lib/packet/decode.ts's TcpFlag.

type Address = string | readonly number[];

const octets = (ip: Address): readonly number[] => (typeof ip === 'string' ? ip.split('.').map(Number) : ip);

function checksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) sum += b[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoSum(src: readonly number[], dst: readonly number[], proto: number, len: number): number {
  return ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!) + proto + len;
}

const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/** An Ethernet frame from MAC_A to MAC_B, with a VLAN tag per TPID in `vlans` (VLAN id 7). */
export function ethernet(payload: Uint8Array, etherType = 0x0800, vlans: readonly number[] = []): Uint8Array {
  const b = new Uint8Array(14 + 4 * vlans.length + payload.length);
  b.set(MAC_B, 0);
  b.set(MAC_A, 6);
  let o = 12;
  for (const tpid of vlans) {
    b[o] = tpid >> 8;
    b[o + 1] = tpid & 0xff;
    b[o + 2] = 0;
    b[o + 3] = 7;
    o += 4;
  }
  b[o] = etherType >> 8;
  b[o + 1] = etherType & 0xff;
  b.set(payload, o + 2);
  return b;
}

export interface Ipv4Options {
  /** Header length in bytes (20 without options). */
  ihl?: number;
  /** Fragment offset in 8-byte units, and the more-fragments bit. */
  frag?: number;
  mf?: boolean;
  /** Don't-fragment bit. */
  df?: boolean;
  id?: number;
}

/**
 * An IPv4 packet around `l4`, header checksum set. A TCP or UDP segment that is not a
 * fragment gets its checksum too (written into `l4`'s checksum field in the copy).
 */
export function ipv4(src: Address, dst: Address, proto: number, l4: Uint8Array, opts: Ipv4Options = {}): Uint8Array {
  const s = octets(src);
  const d = octets(dst);
  const ihl = opts.ihl ?? 20;
  const b = new Uint8Array(ihl + l4.length);
  b[0] = 0x40 | (ihl / 4);
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  const id = opts.id ?? 0;
  b[4] = (id >> 8) & 0xff;
  b[5] = id & 0xff;
  const frag = ((opts.frag ?? 0) & 0x1fff) | (opts.mf ? 0x2000 : 0) | (opts.df ? 0x4000 : 0);
  b[6] = frag >> 8;
  b[7] = frag & 0xff;
  b[8] = 64;
  b[9] = proto;
  b.set(s, 12);
  b.set(d, 16);
  const c = checksum(b, 0, ihl);
  b[10] = c >> 8;
  b[11] = c & 0xff;
  b.set(l4, ihl);
  const at = proto === 6 ? 16 : proto === 17 ? 6 : -1;
  if (at >= 0 && !opts.mf && !opts.frag && l4.length >= at + 2) {
    const cs = checksum(b, ihl, b.length, pseudoSum(s, d, proto, l4.length));
    const v = proto === 17 && cs === 0 ? 0xffff : cs;
    b[ihl + at] = v >> 8;
    b[ihl + at + 1] = v & 0xff;
  }
  return b;
}

/** An IPv6 packet around `payload` (no transport checksum). */
export function ipv6(src: readonly number[], dst: readonly number[], next: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(40 + payload.length);
  b[0] = 0x60;
  b[4] = payload.length >> 8;
  b[5] = payload.length & 0xff;
  b[6] = next;
  b[7] = 64;
  b.set(src, 8);
  b.set(dst, 24);
  b.set(payload, 40);
  return b;
}

/** A TCP header without options; a numeric payload is that many bytes of 'a'. */
export function tcp(sport: number, dport: number, flags: number, payload: Uint8Array | number = 0, seq = 0, ack = 0): Uint8Array {
  const data = typeof payload === 'number' ? new Uint8Array(payload).fill(0x61) : payload;
  const b = new Uint8Array(20 + data.length);
  b[0] = sport >> 8;
  b[1] = sport & 0xff;
  b[2] = dport >> 8;
  b[3] = dport & 0xff;
  const v = new DataView(b.buffer);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ack >>> 0);
  b[12] = 5 << 4;
  b[13] = flags;
  b[14] = 0xfa; // window
  b[15] = 0xf0;
  b.set(data, 20);
  return b;
}

export function udp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b[0] = sport >> 8;
  b[1] = sport & 0xff;
  b[2] = dport >> 8;
  b[3] = dport & 0xff;
  b[4] = b.length >> 8;
  b[5] = b.length & 0xff;
  b.set(payload, 8);
  return b;
}

export interface Endpoint { ip: string; port: number }

/** Ethernet / IPv4 (don't fragment) / TCP. */
export function tcpFrame(src: Endpoint, dst: Endpoint, flags: number, seq: number, ack: number, payload: Uint8Array | number = 0, ipId = 0): Uint8Array {
  return ethernet(ipv4(src.ip, dst.ip, 6, tcp(src.port, dst.port, flags, payload, seq, ack), { id: ipId, df: true }));
}

/** Ethernet / IPv4 (don't fragment) / UDP. */
export function udpFrame(src: Endpoint, dst: Endpoint, payload: Uint8Array, ipId = 0): Uint8Array {
  return ethernet(ipv4(src.ip, dst.ip, 17, udp(src.port, dst.port, payload), { id: ipId, df: true }));
}

/** A DNS query, or its response with one answer when rcode is 0 (A: an address, TXT: a short string). */
export function dnsMessage(id: number, name: string, qtype: number, response: false | { rcode: number }): Uint8Array {
  const labels = name.split('.').filter(Boolean);
  const qlen = labels.reduce((n, l) => n + l.length + 1, 1) + 4;
  const answer = response && response.rcode === 0 ? (qtype === 16 ? 2 + 10 + 1 + 16 : qtype === 28 ? 2 + 10 + 16 : 2 + 10 + 4) : 0;
  const m = new Uint8Array(12 + qlen + answer);
  m[0] = id >> 8;
  m[1] = id & 0xff;
  m[2] = response ? 0x81 : 0x01;
  m[3] = response ? 0x80 | response.rcode : 0;
  m[5] = 1;
  if (answer) m[7] = 1;
  let o = 12;
  for (const l of labels) {
    m[o++] = l.length;
    for (let i = 0; i < l.length; i++) m[o++] = l.charCodeAt(i);
  }
  m[o++] = 0;
  m[o++] = qtype >> 8;
  m[o++] = qtype & 0xff;
  m[o++] = 0;
  m[o++] = 1;
  if (answer) {
    m[o++] = 0xc0;
    m[o++] = 12;
    m[o++] = qtype >> 8;
    m[o++] = qtype & 0xff;
    m[o++] = 0;
    m[o++] = 1;
    m[o + 3] = 60; // TTL
    o += 4;
    const rdlen = answer - 12;
    m[o++] = rdlen >> 8;
    m[o++] = rdlen & 0xff;
    if (qtype === 16) {
      m[o++] = 16;
      for (let i = 0; i < 16; i++) m[o++] = 0x61 + (i % 26);
    } else for (let i = 0; i < rdlen; i++) m[o++] = (id + i) & 0xff;
  }
  return m;
}
