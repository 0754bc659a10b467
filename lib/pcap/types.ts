// The seam between packet sources (pcap/pcapng files, live capture) and the packet path.
// Sources call onPacket synchronously for each packet with a view into a buffer they reuse:
// the handler must copy anything it keeps. No allocation and no promise per packet.

/** LINKTYPE_* values from the tcpdump.org link-layer header registry. */
export const LinkType = {
  NULL: 0, // BSD loopback
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PacketHandler {
  /**
   * @param data buffer holding the packet bytes at [offset, offset + capturedLength)
   * @param tsMicros capture time, epoch microseconds
   * @param wireLength original length on the wire (>= capturedLength when snapped)
   */
  onPacket(
    data: Uint8Array,
    offset: number,
    capturedLength: number,
    wireLength: number,
    tsMicros: number,
    linkType: number,
  ): void;
}
