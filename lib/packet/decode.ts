// Packet decoding without allocation: one reusable PacketInfo is overwritten per packet.
// Link types Ethernet (with 802.1Q/QinQ), Linux cooked SLL/SLL2, raw IP and BSD loopback;
// IPv4 (options, fragments) and IPv6 (extension headers); TCP, UDP, ICMP, ICMPv6.
// A packet that cannot be decoded is counted by reason and skipped, never thrown.
import { LinkType } from '../pcap/types.ts';

export const DecodeError = {
  NONE: 0,
  UNSUPPORTED_LINK: 1,
  TRUNCATED_LINK: 2,
  NOT_IP: 3,
  TRUNCATED_IP: 4,
  BAD_IP_HEADER: 5,
  TRUNCATED_TRANSPORT: 6,
  FRAGMENT: 7,
  BAD_IPV6_EXTENSION: 8,
} as const;

export const DECODE_ERROR_NAMES = ['none', 'unsupported_link', 'truncated_link', 'not_ip', 'truncated_ip', 'bad_ip_header', 'truncated_transport', 'non_first_fragment', 'bad_ipv6_extension'] as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export class PacketInfo {
  ipVersion = 0;
  /** Addresses: 4 or 16 significant bytes. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  protocol = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  /** IP bytes (header included), as the IP header says. */
  ipLength = 0;
  payloadLength = 0;
  /** Offset of the transport payload in the buffer, and how much of it was captured. */
  payloadOffset = 0;
  payloadCaptured = 0;
  /** A first fragment (ports present, more fragments follow). */
  firstFragment = false;
  /** ICMP type/code (also in srcPort/dstPort, as Community ID maps them). */
  icmpType = -1;
  icmpCode = -1;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

export class Decoder {
  /** Packets that failed, by DecodeError code. */
  readonly errors = new Float64Array(DECODE_ERROR_NAMES.length);
  /** First fragments seen (their ports are used) and non-first fragments skipped. */
  fragments = 0;

  /** Decodes into `out`; returns DecodeError.NONE or the reason it could not. */
  decode(b: Uint8Array, off: number, len: number, linkType: number, out: PacketInfo): number {
    const r = this.decodeLink(b, off, off + len, linkType, out);
    if (r !== DecodeError.NONE) this.errors[r]!++;
    return r;
  }

  private decodeLink(b: Uint8Array, off: number, end: number, linkType: number, out: PacketInfo): number {
    let etherType = 0;
    let p = off;
    switch (linkType) {
      case LinkType.ETHERNET:
        if (end - p < 14) return DecodeError.TRUNCATED_LINK;
        etherType = (b[p + 12]! << 8) | b[p + 13]!;
        p += 14;
        while (VLAN_TAGS.has(etherType)) {
          if (end - p < 4) return DecodeError.TRUNCATED_LINK;
          etherType = (b[p + 2]! << 8) | b[p + 3]!;
          p += 4;
        }
        break;
      case LinkType.LINUX_SLL:
        if (end - p < 16) return DecodeError.TRUNCATED_LINK;
        etherType = (b[p + 14]! << 8) | b[p + 15]!;
        p += 16;
        break;
      case LinkType.LINUX_SLL2:
        if (end - p < 20) return DecodeError.TRUNCATED_LINK;
        etherType = (b[p]! << 8) | b[p + 1]!;
        p += 20;
        break;
      case LinkType.NULL: {
        if (end - p < 4) return DecodeError.TRUNCATED_LINK;
        // Host byte order of the capturing machine: accept either.
        const fam = b[p]! | b[p + 3]!;
        p += 4;
        etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
        break;
      }
      case LinkType.RAW:
      case LinkType.IPV4:
      case LinkType.IPV6:
        if (end - p < 1) return DecodeError.TRUNCATED_LINK;
        etherType = b[p]! >> 4 === 4 ? ETH_IPV4 : b[p]! >> 4 === 6 ? ETH_IPV6 : 0;
        break;
      default:
        return DecodeError.UNSUPPORTED_LINK;
    }
    if (etherType === ETH_IPV4) return this.decodeIPv4(b, p, end, out);
    if (etherType === ETH_IPV6) return this.decodeIPv6(b, p, end, out);
    return DecodeError.NOT_IP;
  }

  private decodeIPv4(b: Uint8Array, p: number, end: number, out: PacketInfo): number {
    if (end - p < 20) return DecodeError.TRUNCATED_IP;
    const vihl = b[p]!;
    const ihl = (vihl & 0x0f) * 4;
    if (vihl >> 4 !== 4 || ihl < 20) return DecodeError.BAD_IP_HEADER;
    if (end - p < ihl) return DecodeError.TRUNCATED_IP;
    const total = (b[p + 2]! << 8) | b[p + 3]!;
    if (total < ihl) return DecodeError.BAD_IP_HEADER;
    const fragField = (b[p + 6]! << 8) | b[p + 7]!;
    const fragOffset = fragField & 0x1fff;
    const moreFragments = (fragField & 0x2000) !== 0;
    out.ipVersion = 4;
    out.protocol = b[p + 9]!;
    out.src.fill(0);
    out.dst.fill(0);
    for (let i = 0; i < 4; i++) {
      out.src[i] = b[p + 12 + i]!;
      out.dst[i] = b[p + 16 + i]!;
    }
    out.ipLength = total;
    out.firstFragment = false;
    if (fragOffset !== 0) {
      // Without reassembly a later fragment has no ports to tie it to a flow.
      this.fragments++;
      return DecodeError.FRAGMENT;
    }
    if (moreFragments) {
      this.fragments++;
      out.firstFragment = true;
    }
    return this.decodeTransport(b, p + ihl, Math.min(end, p + total), total - ihl, out);
  }

  private decodeIPv6(b: Uint8Array, p: number, end: number, out: PacketInfo): number {
    if (end - p < 40) return DecodeError.TRUNCATED_IP;
    if (b[p]! >> 4 !== 6) return DecodeError.BAD_IP_HEADER;
    const payloadLen = (b[p + 4]! << 8) | b[p + 5]!;
    let next = b[p + 6]!;
    out.ipVersion = 6;
    for (let i = 0; i < 16; i++) {
      out.src[i] = b[p + 8 + i]!;
      out.dst[i] = b[p + 24 + i]!;
    }
    out.ipLength = 40 + payloadLen;
    out.firstFragment = false;
    let q = p + 40;
    let remaining = payloadLen;
    for (let hops = 0; hops < 16; hops++) {
      if (next === 0 || next === 43 || next === 60 || next === 51 || next === 44) {
        if (end - q < 8) return DecodeError.TRUNCATED_IP;
        let hlen: number;
        if (next === 44) {
          const fragOffset = ((b[q + 2]! << 8) | b[q + 3]!) >> 3;
          this.fragments++;
          if (fragOffset !== 0) return DecodeError.FRAGMENT;
          out.firstFragment = true;
          hlen = 8;
        } else if (next === 51) hlen = (b[q + 1]! + 2) * 4;
        else hlen = (b[q + 1]! + 1) * 8;
        if (hlen > remaining) return DecodeError.BAD_IPV6_EXTENSION;
        next = b[q]!;
        q += hlen;
        remaining -= hlen;
        continue;
      }
      out.protocol = next;
      return this.decodeTransport(b, q, Math.min(end, p + 40 + payloadLen), remaining, out);
    }
    return DecodeError.BAD_IPV6_EXTENSION;
  }

  private decodeTransport(b: Uint8Array, p: number, end: number, l4Length: number, out: PacketInfo): number {
    out.tcpFlags = 0;
    out.icmpType = -1;
    out.icmpCode = -1;
    switch (out.protocol) {
      case 6: {
        if (end - p < 20) return DecodeError.TRUNCATED_TRANSPORT;
        out.srcPort = (b[p]! << 8) | b[p + 1]!;
        out.dstPort = (b[p + 2]! << 8) | b[p + 3]!;
        const doff = (b[p + 12]! >> 4) * 4;
        out.tcpFlags = b[p + 13]!;
        const hdr = Math.max(20, doff);
        out.payloadLength = Math.max(0, l4Length - hdr);
        out.payloadOffset = p + hdr;
        out.payloadCaptured = Math.max(0, end - p - hdr);
        return DecodeError.NONE;
      }
      case 17: {
        if (end - p < 8) return DecodeError.TRUNCATED_TRANSPORT;
        out.srcPort = (b[p]! << 8) | b[p + 1]!;
        out.dstPort = (b[p + 2]! << 8) | b[p + 3]!;
        out.payloadLength = Math.max(0, l4Length - 8);
        out.payloadOffset = p + 8;
        out.payloadCaptured = Math.max(0, end - p - 8);
        return DecodeError.NONE;
      }
      case 1:
      case 58: {
        if (end - p < 4) return DecodeError.TRUNCATED_TRANSPORT;
        out.icmpType = b[p]!;
        out.icmpCode = b[p + 1]!;
        out.srcPort = out.icmpType;
        out.dstPort = out.icmpCode;
        out.payloadLength = Math.max(0, l4Length - 8);
        out.payloadOffset = p + 8;
        out.payloadCaptured = Math.max(0, end - p - 8);
        return DecodeError.NONE;
      }
      default:
        // Other protocols still make flows, on addresses alone.
        out.srcPort = 0;
        out.dstPort = 0;
        out.payloadLength = l4Length;
        out.payloadOffset = p;
        out.payloadCaptured = Math.max(0, end - p);
        return DecodeError.NONE;
    }
  }
}

export function formatAddress(a: Uint8Array, version: number): string {
  if (version === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  // RFC 5952: compress the longest run (>= 2) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
