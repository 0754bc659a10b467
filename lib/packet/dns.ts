// Just enough DNS for behavioral features: the first question's name and type, and the
// response code. Bounds-checked everywhere, compression pointers followed a bounded number
// of times; a malformed message yields false, never an exception. Parsing allocates
// nothing: the name is read into a string only by dnsName(), which the flow table calls
// once per flow.

export class DnsInfo {
  ok = false;
  isResponse = false;
  rcode = -1;
  qtype = -1;
  /** Where the message starts (after a TCP length prefix), and the question name's offset. */
  msgStart = 0;
  nameOffset = 0;
  end = 0;
  /** Name length in text form (dots between labels, no trailing dot) and label count. */
  nameLength = 0;
  labels = 0;
}

const MAX_NAME = 255;
const MAX_POINTERS = 16;

/** Parses a DNS message at b[off, off + len); over TCP pass `tcp` to skip the length prefix. */
export function parseDns(b: Uint8Array, off: number, len: number, out: DnsInfo, tcp = false): boolean {
  out.ok = false;
  const start = off + (tcp ? 2 : 0);
  const end = off + len > b.length ? b.length : off + len;
  if (end - start < 12) return false;
  const flags = (b[start + 2]! << 8) | b[start + 3]!;
  const qdcount = (b[start + 4]! << 8) | b[start + 5]!;
  if (qdcount < 1) return false;
  out.isResponse = (flags & 0x8000) !== 0;
  out.rcode = flags & 0x000f;
  out.msgStart = start;
  out.nameOffset = start + 12;
  out.end = end;
  // Walk the name: p is where the question continues after it (the first pointer ends it).
  let q = start + 12;
  let p = -1;
  let pointers = 0;
  let nameLength = 0;
  let labels = 0;
  for (;;) {
    if (q >= end) return false;
    const l = b[q]!;
    if (l === 0) {
      if (p < 0) p = q + 1;
      break;
    }
    if ((l & 0xc0) === 0xc0) {
      if (q + 1 >= end || ++pointers > MAX_POINTERS) return false;
      if (p < 0) p = q + 2;
      q = start + (((l & 0x3f) << 8) | b[q + 1]!);
      continue;
    }
    if ((l & 0xc0) !== 0 || q + 1 + l > end) return false;
    nameLength += labels > 0 ? l + 1 : l;
    labels++;
    if (nameLength > MAX_NAME) return false;
    q += 1 + l;
  }
  if (end - p < 4) return false;
  out.qtype = (b[p]! << 8) | b[p + 1]!;
  out.nameLength = nameLength;
  out.labels = labels;
  out.ok = true;
  return true;
}

/** The question name of a message parseDns accepted, lower-cased; "." for the root. */
export function dnsName(b: Uint8Array, info: DnsInfo): string {
  if (info.labels === 0) return '.';
  let name = '';
  let q = info.nameOffset;
  // parseDns already validated this walk, so it ends within MAX_POINTERS jumps.
  for (;;) {
    const l = b[q]!;
    if (l === 0) break;
    if ((l & 0xc0) === 0xc0) {
      q = info.msgStart + (((l & 0x3f) << 8) | b[q + 1]!);
      continue;
    }
    if (name.length > 0) name += '.';
    for (let i = 1; i <= l; i++) {
      const c = b[q + i]!;
      name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    q += 1 + l;
  }
  return name;
}

/** Shannon entropy of a string's characters, in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  // Query names are ASCII: counts in a reused table, reset as they are read.
  let wide: Map<number, number> | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 256) CHAR_COUNTS[c]!++;
    else (wide ??= new Map()).set(c, (wide.get(c) ?? 0) + 1);
  }
  let h = 0;
  const add = (n: number) => {
    const p = n / s.length;
    h -= p * Math.log2(p);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 256 && CHAR_COUNTS[c]! > 0) {
      add(CHAR_COUNTS[c]!);
      CHAR_COUNTS[c] = 0;
    }
  }
  if (wide) for (const n of wide.values()) add(n);
  return h;
}

const CHAR_COUNTS = new Int32Array(256);
