// Crafts valid Ethernet/IPv4/TCP/UDP frames (IP, TCP and UDP checksums included, so
// tshark reports no errors) for the simulator and tests.

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

const parseV4 = (ip: string): number[] => ip.split('.').map(Number);

function checksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) sum += b[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoSum(src: number[], dst: number[], proto: number, len: number): number {
  return ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!) + proto + len;
}

export interface Endpoint { ip: string; port: number }

const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

function frame(src: string, dst: string, proto: number, l4: Uint8Array, ipId: number): Uint8Array {
  const s = parseV4(src);
  const d = parseV4(dst);
  const f = new Uint8Array(14 + 20 + l4.length);
  f.set(MAC_B, 0);
  f.set(MAC_A, 6);
  f[12] = 0x08;
  const ip = 14;
  f[ip] = 0x45;
  const total = 20 + l4.length;
  f[ip + 2] = total >> 8;
  f[ip + 3] = total & 0xff;
  f[ip + 4] = (ipId >> 8) & 0xff;
  f[ip + 5] = ipId & 0xff;
  f[ip + 6] = 0x40; // don't fragment
  f[ip + 8] = 64;
  f[ip + 9] = proto;
  f.set(s, ip + 12);
  f.set(d, ip + 16);
  const c = checksum(f, ip, ip + 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 0xff;
  f.set(l4, ip + 20);
  const l4Start = ip + 20;
  const cs = checksum(f, l4Start, f.length, pseudoSum(s, d, proto, l4.length));
  const at = proto === 6 ? 16 : 6;
  const v = proto === 17 && cs === 0 ? 0xffff : cs;
  f[l4Start + at] = v >> 8;
  f[l4Start + at + 1] = v & 0xff;
  return f;
}

export function tcpFrame(src: Endpoint, dst: Endpoint, flags: number, seq: number, ack: number, payload: Uint8Array | number = 0, ipId = 0): Uint8Array {
  const data = typeof payload === 'number' ? new Uint8Array(payload).fill(0x61) : payload;
  const l4 = new Uint8Array(20 + data.length);
  l4[0] = src.port >> 8;
  l4[1] = src.port & 0xff;
  l4[2] = dst.port >> 8;
  l4[3] = dst.port & 0xff;
  new DataView(l4.buffer).setUint32(4, seq >>> 0);
  new DataView(l4.buffer).setUint32(8, ack >>> 0);
  l4[12] = 5 << 4;
  l4[13] = flags;
  l4[14] = 0xfa;
  l4[15] = 0xf0;
  l4.set(data, 20);
  return frame(src.ip, dst.ip, 6, l4, ipId);
}

export function udpFrame(src: Endpoint, dst: Endpoint, payload: Uint8Array, ipId = 0): Uint8Array {
  const l4 = new Uint8Array(8 + payload.length);
  l4[0] = src.port >> 8;
  l4[1] = src.port & 0xff;
  l4[2] = dst.port >> 8;
  l4[3] = dst.port & 0xff;
  l4[4] = l4.length >> 8;
  l4[5] = l4.length & 0xff;
  l4.set(payload, 8);
  return frame(src.ip, dst.ip, 17, l4, ipId);
}

/** A DNS query, or its response with one answer (A: an address, TXT: a short string). */
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
