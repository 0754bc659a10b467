// Just enough DNS for behavioral features: the first question's name and type, and the
// response code. Bounds-checked everywhere; a malformed message yields ok = false.

export class DnsInfo {
  ok = false;
  isResponse = false;
  rcode = -1;
  qtype = -1;
  qname = '';
}

const MAX_NAME = 255;

/** Parses a DNS message at b[off, off + len); over TCP pass `tcp` to skip the length prefix. */
export function parseDns(b: Uint8Array, off: number, len: number, out: DnsInfo, tcp = false): boolean {
  out.ok = false;
  let p = off + (tcp ? 2 : 0);
  const end = off + len;
  if (end - p < 12) return false;
  const start = p;
  const flags = (b[p + 2]! << 8) | b[p + 3]!;
  const qdcount = (b[p + 4]! << 8) | b[p + 5]!;
  out.isResponse = (flags & 0x8000) !== 0;
  out.rcode = flags & 0x000f;
  if (qdcount < 1) return false;
  p += 12;
  let name = '';
  let jumped = false;
  let q = p;
  let hops = 0;
  for (;;) {
    if (q >= end) return false;
    const l = b[q]!;
    if (l === 0) {
      q++;
      break;
    }
    if ((l & 0xc0) === 0xc0) {
      if (q + 1 >= end || ++hops > 16) return false;
      const target = start + (((l & 0x3f) << 8) | b[q + 1]!);
      if (!jumped) p = q + 2;
      jumped = true;
      q = target;
      continue;
    }
    if ((l & 0xc0) !== 0 || q + 1 + l > end) return false;
    if (name.length + l + 1 > MAX_NAME) return false;
    for (let i = 0; i < l; i++) {
      const c = b[q + 1 + i]!;
      name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    name += '.';
    q += 1 + l;
  }
  if (!jumped) p = q;
  if (end - p < 4) return false;
  out.qtype = (b[p]! << 8) | b[p + 1]!;
  out.qname = name.length > 0 ? name.slice(0, -1) : '.';
  out.ok = true;
  return true;
}

/** Shannon entropy of a string's characters, in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
