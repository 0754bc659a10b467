// Community ID v1 (https://github.com/corelight/community-id-spec): a hash of the flow's
// 5-tuple that Zeek, Suricata and others compute the same way, so an alert pivots to
// their records. Computed once per exported flow, not per packet.
import { hash } from 'node:crypto';
import { icmpDstPort, icmpIsTwoWay } from '../packet/decode.ts';

/** Orders addresses (and ports on a tie) as the spec does: byte-wise, then numerically. */
function less(a: Uint8Array, b: Uint8Array, pa: number, pb: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return pa < pb;
}

/**
 * @param src,dst addresses: 4 bytes (IPv4) or 16 bytes (IPv6)
 * @param sport,dport ports; ICMP/ICMPv6: type and code
 * @param seed the spec's 16-bit seed (0 unless all tools in a deployment agree on another)
 */
export function communityId(src: Uint8Array, dst: Uint8Array, protocol: number, sport: number, dport: number, seed = 0): string {
  let a = src;
  let b = dst;
  let pa = sport;
  let pb = dport;
  let oneWay = false;
  if (protocol === 1 || protocol === 58) {
    // Port equivalents: (type, counterpart type) for request/reply pairs, else (type, code)
    // and one-way, i.e. never reordered.
    pb = icmpDstPort(protocol, sport, dport);
    oneWay = !icmpIsTwoWay(protocol, sport);
  }
  if (!oneWay && !less(a, b, pa, pb)) {
    [a, b] = [b, a];
    [pa, pb] = [pb, pa];
  }
  const hasPorts = protocol === 6 || protocol === 17 || protocol === 132 || protocol === 1 || protocol === 58;
  const buf = Buffer.alloc(2 + a.length + b.length + 2 + (hasPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = protocol;
  buf[o++] = 0; // padding
  if (hasPorts) {
    buf.writeUInt16BE(pa, o);
    buf.writeUInt16BE(pb, o + 2);
  }
  return '1:' + hash('sha1', buf, 'base64');
}
