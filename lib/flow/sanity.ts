// Protocol sanity: does the initiator's first payload parse as the protocol of the
// well-known port it was sent to? A flood of random bytes to UDP 53 looks, flow by flow,
// like a quiet DNS query; its first bytes do not look like DNS. The checks are cheap and
// deliberately loose (a few header bytes), so unusual but real clients pass: they tell
// "this is not the protocol at all" from "this is the protocol".

/** Flow.payload_sanity values. */
export const Sanity = {
  /** No initiator payload seen, or no check for this port. */
  UNCHECKED: 0,
  /** The first payload parses as the port's protocol. */
  OK: 1,
  /** It does not. */
  MISMATCH: 2,
} as const;
export type SanityValue = (typeof Sanity)[keyof typeof Sanity];

const HTTP_METHODS = ['GET ', 'POST', 'HEAD', 'PUT ', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC', 'PRI '].map((m) => [...m].map((c) => c.charCodeAt(0)));

/** Whether a well-known port of `protocol` has a check (so a payload to it can be judged). */
export function sanityChecked(protocol: number, dstPort: number): boolean {
  if (protocol === 17) return dstPort === 53 || dstPort === 123;
  if (protocol === 6) return dstPort === 53 || dstPort === 22 || dstPort === 80 || dstPort === 443;
  return false;
}

/**
 * Judges `len` captured bytes at `off` of the first initiator payload sent to `dstPort`.
 * Returns Sanity.UNCHECKED when the port has no check or nothing was captured.
 */
export function payloadSanity(protocol: number, dstPort: number, b: Uint8Array, off: number, len: number): SanityValue {
  if (len <= 0 || !sanityChecked(protocol, dstPort)) return Sanity.UNCHECKED;
  const ok = (c: boolean): SanityValue => (c ? Sanity.OK : Sanity.MISMATCH);
  switch (dstPort) {
    case 53: {
      // TCP DNS carries a 2-byte length first.
      const o = protocol === 6 ? off + 2 : off;
      const n = protocol === 6 ? len - 2 : len;
      if (n < 12) return Sanity.MISMATCH;
      const opcode = (b[o + 2]! >> 3) & 0x0f;
      const qd = (b[o + 4]! << 8) | b[o + 5]!;
      const an = (b[o + 6]! << 8) | b[o + 7]!;
      const ns = (b[o + 8]! << 8) | b[o + 9]!;
      // A query: opcode QUERY/IQUERY/STATUS/NOTIFY/UPDATE, 1-4 questions, sane counts,
      // and a first label length that fits (0 = root, or 1..63).
      if (opcode > 5 || qd < 1 || qd > 4 || an > 64 || ns > 64) return Sanity.MISMATCH;
      if (n === 12) return Sanity.MISMATCH;
      const label = b[o + 12]!;
      return ok(label <= 63 && 12 + 1 + label <= n);
    }
    case 123: {
      // NTP: version 1-4, mode 1-7, and the fixed 48-byte header.
      const vn = (b[off]! >> 3) & 7;
      const mode = b[off]! & 7;
      return ok(len >= 48 && vn >= 1 && vn <= 4 && mode >= 1);
    }
    case 22:
      // SSH: the identification string starts "SSH-".
      return ok(len >= 4 && b[off] === 0x53 && b[off + 1] === 0x53 && b[off + 2] === 0x48 && b[off + 3] === 0x2d);
    case 443:
      // TLS: a handshake (or alert) record of version 3.x.
      return ok(len >= 3 && (b[off] === 0x16 || b[off] === 0x15) && b[off + 1] === 3 && b[off + 2]! <= 4);
    case 80:
      return ok(len >= 4 && HTTP_METHODS.some((m) => m[0] === b[off] && m[1] === b[off + 1] && m[2] === b[off + 2] && m[3] === b[off + 3]));
    default:
      return Sanity.UNCHECKED;
  }
}
