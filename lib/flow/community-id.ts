// Community ID v1 (https://github.com/corelight/community-id-spec): a hash of the flow's
// 5-tuple that Zeek, Suricata and others compute the same way, so an alert pivots to
// their records. Computed once per exported flow, not per packet.
import { sha1Base64 } from './sha1.ts';
import { icmpDstPort, icmpIsTwoWay } from '../packet/decode.ts';

const SCRATCH = new Uint8Array(64);

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
  // seed, addresses, protocol, a zero pad byte, ports: at most 40 bytes, one SHA-1 block.
  const m = SCRATCH;
  m[0] = (seed >>> 8) & 0xff;
  m[1] = seed & 0xff;
  m.set(a, 2);
  let o = 2 + a.length;
  m.set(b, o);
  o += b.length;
  m[o++] = protocol;
  m[o++] = 0;
  if (hasPorts) {
    m[o++] = pa >>> 8;
    m[o++] = pa & 0xff;
    m[o++] = pb >>> 8;
    m[o++] = pb & 0xff;
  }
  return '1:' + sha1Base64(m, o);
}
