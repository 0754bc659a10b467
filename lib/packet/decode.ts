// Packet decoding without allocation: one reusable PacketInfo is overwritten per packet.
// Link types Ethernet (with 802.1Q/QinQ), Linux cooked SLL/SLL2, raw IP and BSD loopback;
// IPv4 (options, fragments) and IPv6 (extension headers); TCP, UDP, ICMP, ICMPv6.
// A packet that cannot be decoded is counted by reason and skipped, never thrown.
//
// Fragments are not reassembled (that needs per-datagram buffers an attacker controls); each
// counts into its datagram's flow instead. A first fragment carries the transport header, so
// it decodes normally, with its own IP length. A later fragment takes the ports its first
// fragment left in a fixed-size FragmentMap (fragments.ts) and decodes as a packet of that
// flow with no transport header (laterFragment: no TCP flags, no payload bytes to inspect).
// A later fragment whose first was never seen is an orphan: counted ('orphan_fragment') and
// skipped.
import { LinkType } from '../pcap/types.ts';
import { FragmentMap } from './fragments.ts';

/** What Decoder.decode returns: NONE (decoded) or the reason a packet was skipped. Codes, not errors: the hot path throws nothing. */
export const DecodeStatus = {
  NONE: 0,
  UNSUPPORTED_LINK: 1,
  TRUNCATED_LINK: 2,
  NOT_IP: 3,
  TRUNCATED_IP: 4,
  BAD_IP_HEADER: 5,
  TRUNCATED_TRANSPORT: 6,
  FRAGMENT: 7,
  BAD_IPV6_EXTENSION: 8,
  BAD_TRANSPORT_HEADER: 9,
} as const;

const E_NONE = DecodeStatus.NONE;
const E_UNSUPPORTED_LINK = DecodeStatus.UNSUPPORTED_LINK;
const E_TRUNCATED_LINK = DecodeStatus.TRUNCATED_LINK;
const E_NOT_IP = DecodeStatus.NOT_IP;
const E_TRUNCATED_IP = DecodeStatus.TRUNCATED_IP;
const E_BAD_IP_HEADER = DecodeStatus.BAD_IP_HEADER;
const E_TRUNCATED_TRANSPORT = DecodeStatus.TRUNCATED_TRANSPORT;
const E_FRAGMENT = DecodeStatus.FRAGMENT;
const E_BAD_IPV6_EXTENSION = DecodeStatus.BAD_IPV6_EXTENSION;
const E_BAD_TRANSPORT_HEADER = DecodeStatus.BAD_TRANSPORT_HEADER;

/** Names of the DecodeStatus codes, by code (index 0 is success). */
export const DECODE_STATUS_NAMES = [
  'none',
  'unsupported_link',
  'truncated_link',
  'not_ip',
  'truncated_ip',
  'bad_ip_header',
  'truncated_transport',
  'orphan_fragment',
  'bad_ipv6_extension',
  'bad_transport_header',
] as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export class PacketInfo {
  ipVersion = 0;
  /** Addresses: the first 4 (IPv4) or 16 (IPv6) bytes are meaningful; the rest is stale. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  protocol = 0;
  /** TCP/UDP ports; ICMP: type and its Community ID counterpart (see icmpPorts). */
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  /** IP bytes (header included) as the IP header says: the size on the wire, even if snapped. */
  ipLength = 0;
  /** Transport payload bytes as the headers say. */
  payloadLength = 0;
  /** Offset of the transport payload in the buffer, and how much of it was captured. */
  payloadOffset = 0;
  payloadCaptured = 0;
  /** A first fragment (ports present, more fragments follow). */
  firstFragment = false;
  /** A later fragment: ports from its first fragment, no transport header in this packet. */
  laterFragment = false;
  /** ICMP type and code as sent; -1 when not ICMP. */
  icmpType = -1;
  icmpCode = -1;
}

// Module-local copies of the link types: cheaper than an imported object on the hot path.
const LINK_NULL = LinkType.NULL;
const LINK_ETHERNET = LinkType.ETHERNET;
const LINK_RAW = LinkType.RAW;
const LINK_SLL = LinkType.LINUX_SLL;
const LINK_IPV4 = LinkType.IPV4;
const LINK_IPV6 = LinkType.IPV6;
const LINK_SLL2 = LinkType.LINUX_SLL2;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

// ICMP message types that come in request/reply pairs, mapped to their counterpart, exactly
// as Community ID v1 (and Zeek) define them. -1: a one-way type.
const ICMP4_COUNTERPART = new Int16Array(256).fill(-1);
const ICMP6_COUNTERPART = new Int16Array(256).fill(-1);
for (const [a, b] of [[8, 0], [13, 14], [15, 16], [10, 9], [17, 18]] as const) {
  ICMP4_COUNTERPART[a] = b;
  ICMP4_COUNTERPART[b] = a;
}
for (const [a, b] of [[128, 129], [133, 134], [135, 136], [130, 131], [139, 140], [144, 145]] as const) {
  ICMP6_COUNTERPART[a] = b;
  ICMP6_COUNTERPART[b] = a;
}

/**
 * Community ID's port equivalents for ICMP: a paired type gives (type, counterpart) so a
 * request and its reply are the two directions of one flow; a one-way type gives
 * (type, code). Returns the destination "port"; the source "port" is the type.
 */
export function icmpDstPort(protocol: number, type: number, code: number): number {
  const c = (protocol === 1 ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[type]!;
  return c >= 0 ? c : code;
}

/** True when an ICMP type has a reply counterpart (Community ID "two-way"). */
export function icmpIsTwoWay(protocol: number, type: number): boolean {
  return (protocol === 1 ? ICMP4_COUNTERPART : ICMP6_COUNTERPART)[type & 0xff]! >= 0;
}

export class Decoder {
  /** Packets that failed, by DecodeStatus code (index 0 unused). */
  readonly errors = new Float64Array(DECODE_STATUS_NAMES.length);
  /** Fragments seen: first ones, later ones counted into their flow, and orphans (skipped). */
  fragments = 0;
  /** First fragments' ports, by datagram, for the later fragments. */
  private readonly datagrams = new FragmentMap();
  /** Packets decoded successfully. */
  decoded = 0;
  /** The link type of the last packet skipped as 'unsupported_link' (-1: none). */
  unsupportedLinkType = -1;

  /** Decodes b[off, off + len) into `out`; returns E_NONE or the reason it could not. */
  decode(b: Uint8Array, off: number, len: number, linkType: number, out: PacketInfo): number {
    const r = this.decodeLink(b, off, off + len, linkType, out);
    if (r === E_NONE) this.decoded++;
    else this.errors[r]!++;
    return r;
  }

  private decodeLink(b: Uint8Array, off: number, end: number, linkType: number, out: PacketInfo): number {
    let etherType = 0;
    let p = off;
    switch (linkType) {
      case LINK_ETHERNET:
        if (end - p < 14) return E_TRUNCATED_LINK;
        etherType = (b[p + 12]! << 8) | b[p + 13]!;
        p += 14;
        // 802.1Q, 802.1ad (QinQ) and the older 0x9100: any depth, each tag 4 bytes.
        while (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) {
          if (end - p < 4) return E_TRUNCATED_LINK;
          etherType = (b[p + 2]! << 8) | b[p + 3]!;
          p += 4;
        }
        break;
      case LINK_SLL:
        if (end - p < 16) return E_TRUNCATED_LINK;
        etherType = (b[p + 14]! << 8) | b[p + 15]!;
        p += 16;
        break;
      case LINK_SLL2:
        if (end - p < 20) return E_TRUNCATED_LINK;
        etherType = (b[p]! << 8) | b[p + 1]!;
        p += 20;
        break;
      case LINK_NULL: {
        if (end - p < 4) return E_TRUNCATED_LINK;
        // The address family in the capturing host's byte order: accept either. AF_INET6
        // differs by OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
        const fam = b[p]! | b[p + 3]!;
        p += 4;
        etherType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 || fam === 10 ? ETH_IPV6 : 0;
        break;
      }
      case LINK_RAW:
      case LINK_IPV4:
      case LINK_IPV6: {
        if (end - p < 1) return E_TRUNCATED_LINK;
        const v = b[p]! >> 4;
        etherType = v === 4 ? ETH_IPV4 : v === 6 ? ETH_IPV6 : 0;
        break;
      }
      default:
        this.unsupportedLinkType = linkType;
        return E_UNSUPPORTED_LINK;
    }
    if (etherType === ETH_IPV4) return this.decodeIPv4(b, p, end, out);
    if (etherType === ETH_IPV6) return this.decodeIPv6(b, p, end, out);
    return E_NOT_IP;
  }

  private decodeIPv4(b: Uint8Array, p: number, end: number, out: PacketInfo): number {
    if (end - p < 20) return E_TRUNCATED_IP;
    const vihl = b[p]!;
    const ihl = (vihl & 0x0f) * 4;
    if (vihl >> 4 !== 4 || ihl < 20) return E_BAD_IP_HEADER;
    if (end - p < ihl) return E_TRUNCATED_IP;
    let total = (b[p + 2]! << 8) | b[p + 3]!;
    // 0 is what a capture of TCP segmentation offload shows: the NIC fills it in later.
    if (total === 0) total = end - p;
    if (total < ihl) return E_BAD_IP_HEADER;
    const fragField = (b[p + 6]! << 8) | b[p + 7]!;
    out.ipVersion = 4;
    out.protocol = b[p + 9]!;
    const src = out.src;
    const dst = out.dst;
    src[0] = b[p + 12]!;
    src[1] = b[p + 13]!;
    src[2] = b[p + 14]!;
    src[3] = b[p + 15]!;
    dst[0] = b[p + 16]!;
    dst[1] = b[p + 17]!;
    dst[2] = b[p + 18]!;
    dst[3] = b[p + 19]!;
    out.ipLength = total;
    out.firstFragment = false;
    out.laterFragment = false;
    if ((fragField & 0x3fff) === 0) {
      const l4End = p + total < end ? p + total : end;
      return this.decodeTransport(b, p + ihl, l4End, total - ihl, out);
    }
    this.fragments++;
    const id = (b[p + 4]! << 8) | b[p + 5]!;
    if ((fragField & 0x1fff) !== 0) return this.decodeLaterFragment(4, id, total - ihl, end, out);
    // Offset 0 with more fragments to follow: the first of several.
    out.firstFragment = (fragField & 0x2000) !== 0;
    const l4End = p + total < end ? p + total : end;
    const r = this.decodeTransport(b, p + ihl, l4End, total - ihl, out);
    if (r === E_NONE && out.firstFragment) this.datagrams.remember(4, out.src, out.dst, out.protocol, id, out.srcPort, out.dstPort);
    return r;
  }

  /** A fragment at a non-zero offset: a packet of its first fragment's flow, or an orphan. */
  private decodeLaterFragment(version: number, id: number, bytes: number, end: number, out: PacketInfo): number {
    if (!this.datagrams.lookup(version, out.src, out.dst, out.protocol, id)) return E_FRAGMENT;
    out.laterFragment = true;
    out.srcPort = this.datagrams.foundSrcPort;
    out.dstPort = this.datagrams.foundDstPort;
    out.tcpFlags = 0;
    out.icmpType = -1;
    out.icmpCode = -1;
    out.payloadLength = bytes;
    out.payloadOffset = end;
    out.payloadCaptured = 0;
    return E_NONE;
  }

  private decodeIPv6(b: Uint8Array, p: number, end: number, out: PacketInfo): number {
    if (end - p < 40) return E_TRUNCATED_IP;
    if (b[p]! >> 4 !== 6) return E_BAD_IP_HEADER;
    let payloadLen = (b[p + 4]! << 8) | b[p + 5]!;
    // 0: a jumbogram (or offload); take what was captured.
    if (payloadLen === 0) payloadLen = end - p - 40;
    let next = b[p + 6]!;
    out.ipVersion = 6;
    const src = out.src;
    const dst = out.dst;
    for (let i = 0; i < 16; i++) {
      src[i] = b[p + 8 + i]!;
      dst[i] = b[p + 24 + i]!;
    }
    out.ipLength = 40 + payloadLen;
    out.firstFragment = false;
    out.laterFragment = false;
    let fragmentId = -1;
    const l4Limit = p + 40 + payloadLen < end ? p + 40 + payloadLen : end;
    let q = p + 40;
    let remaining = payloadLen;
    // Extension headers: hop-by-hop 0, routing 43, fragment 44, AH 51, destination options 60.
    // Bounded so a crafted chain cannot loop long.
    for (let hops = 0; hops < 16; hops++) {
      if (next !== 0 && next !== 43 && next !== 44 && next !== 51 && next !== 60) {
        out.protocol = next;
        const r = this.decodeTransport(b, q, l4Limit, remaining, out);
        if (r === E_NONE && out.firstFragment) this.datagrams.remember(6, src, dst, next, fragmentId, out.srcPort, out.dstPort);
        return r;
      }
      if (l4Limit - q < 8) return remaining < 8 ? E_BAD_IPV6_EXTENSION : E_TRUNCATED_IP;
      let hlen: number;
      if (next === 44) {
        const fragField = (b[q + 2]! << 8) | b[q + 3]!;
        const offset = fragField >> 3;
        // Offset 0 and no more fragments: an "atomic fragment" (RFC 6946), a whole datagram.
        if (offset !== 0 || (fragField & 1) !== 0) {
          this.fragments++;
          fragmentId = ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0;
          if (offset !== 0) {
            // The fragment header's next header is the upper protocol of the whole datagram.
            out.protocol = b[q]!;
            return this.decodeLaterFragment(6, fragmentId, remaining - 8, end, out);
          }
          out.firstFragment = true;
        }
        hlen = 8;
      } else if (next === 51) hlen = (b[q + 1]! + 2) * 4;
      else hlen = (b[q + 1]! + 1) * 8;
      if (hlen > remaining) return E_BAD_IPV6_EXTENSION;
      next = b[q]!;
      q += hlen;
      remaining -= hlen;
    }
    return E_BAD_IPV6_EXTENSION;
  }

  /** p: start of the transport header; end: end of captured IP payload; l4Length: per the IP header. */
  private decodeTransport(b: Uint8Array, p: number, end: number, l4Length: number, out: PacketInfo): number {
    out.tcpFlags = 0;
    out.icmpType = -1;
    out.icmpCode = -1;
    let hdr: number;
    switch (out.protocol) {
      case 6: {
        if (end - p < 20) return E_TRUNCATED_TRANSPORT;
        hdr = (b[p + 12]! >> 4) * 4;
        if (hdr < 20 || hdr > l4Length) return E_BAD_TRANSPORT_HEADER;
        out.srcPort = (b[p]! << 8) | b[p + 1]!;
        out.dstPort = (b[p + 2]! << 8) | b[p + 3]!;
        out.tcpFlags = b[p + 13]!;
        break;
      }
      case 17:
        if (end - p < 8) return E_TRUNCATED_TRANSPORT;
        if (l4Length < 8) return E_BAD_TRANSPORT_HEADER;
        hdr = 8;
        out.srcPort = (b[p]! << 8) | b[p + 1]!;
        out.dstPort = (b[p + 2]! << 8) | b[p + 3]!;
        break;
      case 1:
      case 58: {
        if (end - p < 4) return E_TRUNCATED_TRANSPORT;
        hdr = l4Length < 8 ? l4Length : 8;
        const type = b[p]!;
        const code = b[p + 1]!;
        out.icmpType = type;
        out.icmpCode = code;
        out.srcPort = type;
        out.dstPort = icmpDstPort(out.protocol, type, code);
        break;
      }
      default:
        // Other protocols still make flows, on addresses alone.
        hdr = 0;
        out.srcPort = 0;
        out.dstPort = 0;
    }
    out.payloadLength = l4Length - hdr;
    // A payload cut off by the snap length: offset at the capture's end, nothing captured.
    const payloadAt = p + hdr < end ? p + hdr : end;
    out.payloadOffset = payloadAt;
    out.payloadCaptured = end - payloadAt;
    return E_NONE;
  }
}

/** Dotted quad or RFC 5952 text of the first 4 or 16 bytes of `a`. */
const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

export function formatAddress(a: Uint8Array, version: number, offset = 0): string {
  if (version === 4) return DECIMAL[a[offset]!]! + '.' + DECIMAL[a[offset + 1]!]! + '.' + DECIMAL[a[offset + 2]!]! + '.' + DECIMAL[a[offset + 3]!]!;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a[offset + i]! << 8) | a[offset + i + 1]!).toString(16));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
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
