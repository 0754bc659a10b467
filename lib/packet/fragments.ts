// Which flow a later IP fragment belongs to. A first fragment carries the transport header
// (the ports); the later fragments of the same datagram carry only the IP header, with the
// same (source, destination, protocol, identification). Remembering the first fragment's
// ports under that key lets the later fragments count into their flow, with their bytes,
// without reassembling anything.
//
// The table is a fixed array of slots indexed by a hash of the key, a newer datagram
// overwriting an older one in its slot: memory and work per packet are constant whatever an
// attacker sends (a flood of fragments can only evict entries, never grow the table). A
// later fragment whose first was not seen, or was evicted, is an orphan: the decoder counts
// and skips it. Nothing expires by time: an identification is reused only after 2^16 (IPv4)
// or 2^32 (IPv6) datagrams between the same hosts, and a reused key's first fragment
// overwrites the old entry before its later fragments arrive.

/** Slots in the table: a power of two. 8192 datagrams in flight at once is far beyond normal traffic. */
export const FRAGMENT_SLOTS = 8192;

export class FragmentMap {
  private readonly mask: number;
  /** Per slot: 0 empty, 4 or 6 the IP version of the datagram held. */
  private readonly version: Uint8Array;
  private readonly protocol: Uint8Array;
  private readonly id: Uint32Array;
  /** Source then destination address, 16 bytes each (IPv4 uses the first 4 of each). */
  private readonly addrs: Uint8Array;
  private readonly srcPort: Uint16Array;
  private readonly dstPort: Uint16Array;
  /** The last lookup's ports, valid when lookup() returned true. */
  foundSrcPort = 0;
  foundDstPort = 0;

  constructor(slots = FRAGMENT_SLOTS) {
    if (!Number.isInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) throw new RangeError(`FragmentMap: slots must be a power of two, got ${slots}`);
    this.mask = slots - 1;
    this.version = new Uint8Array(slots);
    this.protocol = new Uint8Array(slots);
    this.id = new Uint32Array(slots);
    this.addrs = new Uint8Array(slots * 32);
    this.srcPort = new Uint16Array(slots);
    this.dstPort = new Uint16Array(slots);
  }

  private slot(version: number, src: Uint8Array, dst: Uint8Array, protocol: number, id: number): number {
    const n = version === 4 ? 4 : 16;
    let h = Math.imul(id ^ (protocol << 24) ^ version, 0x9e3779b1);
    for (let i = 0; i < n; i += 4) {
      h = Math.imul(h ^ ((src[i]! << 24) | (src[i + 1]! << 16) | (src[i + 2]! << 8) | src[i + 3]!), 0x85ebca6b);
      h = Math.imul(h ^ ((dst[i]! << 24) | (dst[i + 1]! << 16) | (dst[i + 2]! << 8) | dst[i + 3]!), 0xc2b2ae35);
    }
    return (h ^ (h >>> 15)) & this.mask;
  }

  /** A first fragment was decoded: its datagram's later fragments will take these ports. */
  remember(version: number, src: Uint8Array, dst: Uint8Array, protocol: number, id: number, srcPort: number, dstPort: number): void {
    const s = this.slot(version, src, dst, protocol, id);
    const n = version === 4 ? 4 : 16;
    const a = s * 32;
    for (let i = 0; i < n; i++) {
      this.addrs[a + i] = src[i]!;
      this.addrs[a + 16 + i] = dst[i]!;
    }
    this.version[s] = version;
    this.protocol[s] = protocol;
    this.id[s] = id;
    this.srcPort[s] = srcPort;
    this.dstPort[s] = dstPort;
  }

  /** True (ports in foundSrcPort/foundDstPort) when the datagram's first fragment is held. */
  lookup(version: number, src: Uint8Array, dst: Uint8Array, protocol: number, id: number): boolean {
    const s = this.slot(version, src, dst, protocol, id);
    if (this.version[s] !== version || this.protocol[s] !== protocol || this.id[s] !== id >>> 0) return false;
    const n = version === 4 ? 4 : 16;
    const a = s * 32;
    for (let i = 0; i < n; i++) {
      if (this.addrs[a + i] !== src[i] || this.addrs[a + 16 + i] !== dst[i]) return false;
    }
    this.foundSrcPort = this.srcPort[s]!;
    this.foundDstPort = this.dstPort[s]!;
    return true;
  }
}
