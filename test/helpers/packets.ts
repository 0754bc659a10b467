// Hand-built packets for decoder and flow-table tests (no checksums needed here).

export function ipv4(src: number[], dst: number[], proto: number, l4: Uint8Array, opts: { ihl?: number; frag?: number; mf?: boolean } = {}): Uint8Array {
  const ihl = opts.ihl ?? 20;
  const b = new Uint8Array(ihl + l4.length);
  b[0] = 0x40 | (ihl / 4);
  const total = b.length;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  const frag = ((opts.frag ?? 0) & 0x1fff) | (opts.mf ? 0x2000 : 0);
  b[6] = frag >> 8;
  b[7] = frag & 0xff;
  b[8] = 64;
  b[9] = proto;
  b.set(src, 12);
  b.set(dst, 16);
  b.set(l4, ihl);
  return b;
}

export function ipv6(src: number[], dst: number[], next: number, payload: Uint8Array): Uint8Array {
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

export function tcp(sport: number, dport: number, flags: number, payload = 0): Uint8Array {
  const b = new Uint8Array(20 + payload);
  b[0] = sport >> 8;
  b[1] = sport & 0xff;
  b[2] = dport >> 8;
  b[3] = dport & 0xff;
  b[12] = 5 << 4;
  b[13] = flags;
  return b;
}

export function udp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b[0] = sport >> 8;
  b[1] = sport & 0xff;
  b[2] = dport >> 8;
  b[3] = dport & 0xff;
  const len = b.length;
  b[4] = len >> 8;
  b[5] = len & 0xff;
  b.set(payload, 8);
  return b;
}

export function ethernet(ip: Uint8Array, etherType = 0x0800, vlans: number[] = []): Uint8Array {
  const b = new Uint8Array(14 + 4 * vlans.length + ip.length);
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
  b.set(ip, o + 2);
  return b;
}

export function dnsQuery(name: string, qtype: number, response = false, rcode = 0): Uint8Array {
  const labels = name.split('.');
  const q = new Uint8Array(12 + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  q[0] = 0x12;
  q[1] = 0x34;
  q[2] = response ? 0x81 : 0x01;
  q[3] = response ? 0x80 | rcode : 0;
  q[5] = 1;
  let o = 12;
  for (const l of labels) {
    q[o++] = l.length;
    for (const c of l) q[o++] = c.charCodeAt(0);
  }
  q[o++] = 0;
  q[o++] = qtype >> 8;
  q[o++] = qtype & 0xff;
  q[o++] = 0;
  q[o] = 1;
  return q;
}
