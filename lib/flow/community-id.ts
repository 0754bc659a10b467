// Community ID v1 (https://github.com/corelight/community-id-spec): a hash of the flow's
// 5-tuple that Zeek, Suricata and others compute the same way, so an alert pivots to
// their records. Computed once per exported flow.
import { createHash } from 'node:crypto';

// ICMP types with a reply type: the tuple is ordered as if the reply came back.
const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17, 10: 9, 9: 10 };
const ICMP6_PAIRS: Record<number, number> = { 128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 144: 145, 145: 144, 146: 147, 147: 146 };

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * @param src,dst addresses: 4 bytes (IPv4) or 16 bytes (IPv6)
 * @param sport,dport ports, or ICMP type and code
 */
export function communityId(src: Uint8Array, dst: Uint8Array, protocol: number, sport: number, dport: number, seed = 0): string {
  let a = src;
  let b = dst;
  let pa = sport;
  let pb = dport;
  let oneWay = false;
  if (protocol === 1 || protocol === 58) {
    const pairs = protocol === 1 ? ICMP4_PAIRS : ICMP6_PAIRS;
    const reply = pairs[sport];
    if (reply === undefined) oneWay = true;
    else {
      pb = reply;
    }
    // For ICMP the "ports" are type and the mapped counterpart (or the code for one-way types).
    if (oneWay) pb = dport;
  }
  const c = compare(a, b);
  if (!oneWay && (c > 0 || (c === 0 && pa > pb))) {
    [a, b] = [b, a];
    [pa, pb] = [pb, pa];
  }
  const hasPorts = protocol === 6 || protocol === 17 || protocol === 132 || protocol === 1 || protocol === 58;
  const buf = Buffer.alloc(2 + a.length + b.length + 2 + (hasPorts ? 4 : 0));
  let o = 0;
  buf.writeUInt16BE(seed, o);
  o += 2;
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = protocol;
  buf[o++] = 0;
  if (hasPorts) {
    buf.writeUInt16BE(pa, o);
    buf.writeUInt16BE(pb, o + 2);
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}
