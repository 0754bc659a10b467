// Internal/external address classification by CIDR, parsed once; IPv4 and IPv6. Which
// ranges are internal is a setting (--internal-cidrs, lib/config/stages.ts).
import { isIPv4, isIPv6 } from 'node:net';

interface Range { v6: boolean; bytes: Uint8Array; prefix: number }

export function ipBytes(ip: string): Uint8Array | null {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return null;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (s: string | undefined): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Addresses remembered per set: a network's hosts repeat in flow after flow. */
const MEMO_LIMIT = 65_536;

export class CidrSet {
  private ranges: Range[];
  /** Answers for addresses seen before (parsing the text is most of the cost); cleared when full. */
  private memo = new Map<string, boolean>();

  constructor(readonly cidrs: readonly string[]) {
    this.ranges = cidrs.map((c) => {
      const [addr, len] = c.split('/');
      const bytes = addr ? ipBytes(addr) : null;
      const prefix = Number(len ?? (bytes?.length === 4 ? 32 : 128));
      if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) throw new Error(`internal CIDR "${c}" is not a valid IPv4 or IPv6 range`);
      return { v6: bytes.length === 16, bytes, prefix };
    });
  }

  has(ip: string): boolean {
    let inside = this.memo.get(ip);
    if (inside === undefined) {
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      inside = this.contains(ip);
      this.memo.set(ip, inside);
    }
    return inside;
  }

  private contains(ip: string): boolean {
    const b = ipBytes(ip);
    if (!b) return false;
    const v6 = b.length === 16;
    for (const r of this.ranges) {
      if (r.v6 !== v6) continue;
      let bits = r.prefix;
      let i = 0;
      let match = true;
      while (bits >= 8) {
        if (b[i] !== r.bytes[i]) {
          match = false;
          break;
        }
        bits -= 8;
        i++;
      }
      if (match && bits > 0) {
        const mask = (0xff << (8 - bits)) & 0xff;
        match = (b[i]! & mask) === (r.bytes[i]! & mask);
      }
      if (match) return true;
    }
    return false;
  }
}
