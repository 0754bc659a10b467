import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decoder, DecodeStatus, PacketInfo, formatAddress, DECODE_STATUS_NAMES, TcpFlag } from '../../../lib/packet/decode.ts';
import { parseDns, dnsName, DnsInfo, entropy } from '../../../lib/packet/dns.ts';
import { LinkType } from '../../../lib/pcap/types.ts';
import { ethernet, ipv4, ipv6, tcp, udp, dnsMessage } from '../../../lib/sim/frames.ts';

const A = [10, 0, 0, 1];
const B = [192, 168, 1, 2];
const A6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

function decode(pkt: Uint8Array, link: number): { r: number; p: PacketInfo; d: Decoder } {
  const d = new Decoder();
  const p = new PacketInfo();
  return { r: d.decode(pkt, 0, pkt.length, link, p), p, d };
}

function withPrefix(prefix: number[], ip: Uint8Array): Uint8Array {
  const b = new Uint8Array(prefix.length + ip.length);
  b.set(prefix);
  b.set(ip, prefix.length);
  return b;
}

/** An IPv6 extension header: next header, then `len8` 8-byte units of body after the first 8. */
function ext(next: number, body: Uint8Array, type: 'generic' | 'ah' | 'frag' = 'generic', frag: { offset: number; more: boolean; id?: number } = { offset: 0, more: false }): Uint8Array {
  if (type === 'frag') {
    const h = new Uint8Array(8 + body.length);
    h[0] = next;
    const f = (frag.offset << 3) | (frag.more ? 1 : 0);
    h[2] = f >> 8;
    h[3] = f & 0xff;
    new DataView(h.buffer).setUint32(4, frag.id ?? 0);
    h.set(body, 8);
    return h;
  }
  const h = new Uint8Array(16 + body.length); // 16 bytes of header: length field 1 (generic) or 2 (AH)
  h[0] = next;
  h[1] = type === 'ah' ? 2 : 1;
  h.set(body, 16);
  return h;
}

test('Ethernet with none, 802.1Q, QinQ (0x88a8 and 0x9100) tags; IPv4 with options; TCP', () => {
  for (const vlans of [[], [0x8100], [0x88a8, 0x8100], [0x9100, 0x8100], [0x8100, 0x8100, 0x8100]]) {
    const { r, p } = decode(ethernet(ipv4(A, B, 6, tcp(40000, 443, 0x02, 10), { ihl: 24 }), 0x0800, vlans), LinkType.ETHERNET);
    assert.equal(r, DecodeStatus.NONE, `vlans ${vlans}`);
    assert.equal(formatAddress(p.src, 4), '10.0.0.1');
    assert.equal(formatAddress(p.dst, 4), '192.168.1.2');
    assert.deepEqual([p.ipVersion, p.protocol, p.srcPort, p.dstPort, p.tcpFlags, p.payloadLength, p.ipLength], [4, 6, 40000, 443, 0x02, 10, 54]);
  }
  assert.equal(decode(ethernet(ipv4(A, B, 6, tcp(1, 2, 0)), 0x0806), LinkType.ETHERNET).r, DecodeStatus.NOT_IP, 'ARP');
  assert.equal(decode(ethernet(ipv4(A, B, 6, tcp(1, 2, 0)), 0x0800, [0x8100]).slice(0, 16), LinkType.ETHERNET).r, DecodeStatus.TRUNCATED_LINK);
});

test('Linux cooked SLL and SLL2, raw IP (101, 228, 229), BSD loopback in both byte orders', () => {
  const ip = ipv4(A, B, 17, udp(5353, 53, dnsMessage(0x1234, 'a.b', 1, false)));
  const ip6 = ipv6(A6, B6, 17, udp(5353, 53));
  const sll = withPrefix([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00], ip);
  const sll6 = withPrefix([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd], ip6);
  const sll2 = withPrefix([0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0], ip);
  const cases: [Uint8Array, number, number][] = [
    [sll, LinkType.LINUX_SLL, 4],
    [sll6, LinkType.LINUX_SLL, 6],
    [sll2, LinkType.LINUX_SLL2, 4],
    [ip, LinkType.RAW, 4],
    [ip6, LinkType.RAW, 6],
    [ip, LinkType.IPV4, 4],
    [ip6, LinkType.IPV6, 6],
    [withPrefix([2, 0, 0, 0], ip), LinkType.NULL, 4],
    [withPrefix([0, 0, 0, 2], ip), LinkType.NULL, 4],
    [withPrefix([30, 0, 0, 0], ip6), LinkType.NULL, 6],
    [withPrefix([0, 0, 0, 24], ip6), LinkType.NULL, 6],
  ];
  for (const [pkt, link, v] of cases) {
    const { r, p } = decode(pkt, link);
    assert.equal(r, DecodeStatus.NONE, `link ${link} v${v}`);
    assert.deepEqual([p.ipVersion, p.protocol, p.srcPort, p.dstPort], [v, 17, 5353, 53], `link ${link} v${v}`);
  }
  assert.equal(decode(ip, 147).r, DecodeStatus.UNSUPPORTED_LINK);
  assert.equal(decode(withPrefix([7, 0, 0, 0], ip), LinkType.NULL).r, DecodeStatus.NOT_IP);
  assert.equal(decode(sll.slice(0, 10), LinkType.LINUX_SLL).r, DecodeStatus.TRUNCATED_LINK);
});

test('IPv6 extension headers: hop-by-hop, routing, destination options, AH, fragment', () => {
  const t = tcp(1234, 80, TcpFlag.SYN | TcpFlag.ACK, 5);
  const chain = ext(43, ext(60, ext(51, ext(6, t, 'ah'))));
  const { r, p } = decode(ethernet(ipv6(A6, B6, 0, chain), 0x86dd), LinkType.ETHERNET);
  assert.equal(r, DecodeStatus.NONE);
  assert.equal(formatAddress(p.src, 6), '2001:db8::1');
  assert.deepEqual([p.protocol, p.srcPort, p.dstPort, p.tcpFlags, p.payloadLength, p.ipLength], [6, 1234, 80, 0x12, 5, 40 + chain.length]);
  // First fragment: ports, counted; an orphan later one (its first never seen): counted and skipped.
  const first = decode(ipv6(A6, B6, 44, ext(17, udp(5, 6, new Uint8Array(100)), 'frag', { offset: 0, more: true })), LinkType.RAW);
  assert.deepEqual([first.r, first.p.firstFragment, first.p.dstPort, first.d.fragments], [DecodeStatus.NONE, true, 6, 1]);
  const later = decode(ipv6(A6, B6, 44, ext(17, new Uint8Array(64), 'frag', { offset: 13, more: false })), LinkType.RAW);
  assert.deepEqual([later.r, later.d.fragments, later.d.errors[DecodeStatus.FRAGMENT]], [DecodeStatus.FRAGMENT, 1, 1]);
  // An atomic fragment (offset 0, no more): a whole datagram, not a fragment.
  const atomic = decode(ipv6(A6, B6, 44, ext(17, udp(5, 6, new Uint8Array(10)), 'frag')), LinkType.RAW);
  assert.deepEqual([atomic.r, atomic.p.firstFragment, atomic.p.dstPort, atomic.d.fragments], [DecodeStatus.NONE, false, 6, 0]);
  // A header claiming more than the payload, and an endless chain.
  const liar = ext(6, t);
  liar[1] = 200;
  assert.equal(decode(ipv6(A6, B6, 0, liar), LinkType.RAW).r, DecodeStatus.BAD_IPV6_EXTENSION);
  let long: Uint8Array = t;
  for (let i = 0; i < 20; i++) long = ext(i === 0 ? 6 : 60, long);
  assert.equal(decode(ipv6(A6, B6, 60, long), LinkType.RAW).r, DecodeStatus.BAD_IPV6_EXTENSION);
  // Cut inside the extension headers.
  const cut = ipv6(A6, B6, 0, chain);
  assert.equal(decode(cut.slice(0, 44), LinkType.RAW).r, DecodeStatus.TRUNCATED_IP);
  // No next header (59): a flow on addresses alone.
  const none = decode(ipv6(A6, B6, 59, new Uint8Array(0)), LinkType.RAW);
  assert.deepEqual([none.r, none.p.protocol, none.p.srcPort, none.p.dstPort], [DecodeStatus.NONE, 59, 0, 0]);
});

test('ICMP and ICMPv6: type and Community ID counterpart in the port fields', () => {
  const icmp = (type: number, code: number) => {
    const b = new Uint8Array(8 + 32);
    b[0] = type;
    b[1] = code;
    return b;
  };
  const cases: [Uint8Array, number, number, number][] = [
    [ipv4(A, B, 1, icmp(8, 0)), 1, 8, 0], // echo request -> counterpart 0
    [ipv4(B, A, 1, icmp(0, 0)), 1, 0, 8], // echo reply -> counterpart 8: the reverse of the request
    [ipv4(A, B, 1, icmp(3, 3)), 1, 3, 3], // unreachable: one-way, (type, code)
    [ipv6(A6, B6, 58, icmp(128, 0)), 58, 128, 129],
    [ipv6(B6, A6, 58, icmp(129, 0)), 58, 129, 128],
    [ipv6(A6, B6, 58, icmp(1, 4)), 58, 1, 4],
  ];
  for (const [pkt, proto, sp, dp] of cases) {
    const { r, p } = decode(pkt, LinkType.RAW);
    assert.equal(r, DecodeStatus.NONE);
    assert.deepEqual([p.protocol, p.srcPort, p.dstPort, p.payloadLength], [proto, sp, dp, 32]);
    assert.equal(p.icmpType, sp);
  }
});

test('IPv4: fragments, TSO zero length, bad headers', () => {
  const first = decode(ipv4(A, B, 17, udp(1, 2), { mf: true }), LinkType.RAW);
  assert.equal(first.r, DecodeStatus.NONE);
  assert.equal(first.p.firstFragment, true);
  assert.equal(first.d.fragments, 1);
  const later = decode(ipv4(A, B, 17, new Uint8Array(16), { frag: 185 }), LinkType.RAW);
  assert.equal(later.r, DecodeStatus.FRAGMENT);
  assert.equal(later.d.fragments, 1);
  assert.equal(DECODE_STATUS_NAMES[later.r], 'orphan_fragment');
  const tso = ipv4(A, B, 6, tcp(1, 2, TcpFlag.ACK, 3000));
  tso[2] = tso[3] = 0;
  const t = decode(tso, LinkType.RAW);
  assert.deepEqual([t.r, t.p.ipLength, t.p.payloadLength], [DecodeStatus.NONE, 3040, 3000]);
  const badVersion = ipv4(A, B, 6, tcp(1, 2, 0));
  badVersion[0] = 0x55;
  assert.equal(decode(ethernet(badVersion), LinkType.ETHERNET).r, DecodeStatus.BAD_IP_HEADER);
  const shortIhl = ipv4(A, B, 6, tcp(1, 2, 0));
  shortIhl[0] = 0x44;
  assert.equal(decode(shortIhl, LinkType.RAW).r, DecodeStatus.BAD_IP_HEADER);
  const badDoff = ipv4(A, B, 6, tcp(1, 2, 0));
  badDoff[20 + 12] = 0x20; // 8-byte TCP header
  assert.equal(decode(badDoff, LinkType.RAW).r, DecodeStatus.BAD_TRANSPORT_HEADER);
  assert.equal(decode(ipv4(A, B, 6, tcp(1, 2, 0)).slice(0, 30), LinkType.RAW).r, DecodeStatus.TRUNCATED_TRANSPORT);
  assert.equal(decode(ipv4(A, B, 6, tcp(1, 2, 0)).slice(0, 12), LinkType.RAW).r, DecodeStatus.TRUNCATED_IP);
  // Snapped: the sizes come from the headers, the captured payload is what is there.
  const snapped = decode(ipv4(A, B, 17, udp(1, 53, new Uint8Array(500))).slice(0, 60), LinkType.RAW);
  assert.deepEqual([snapped.r, snapped.p.ipLength, snapped.p.payloadLength, snapped.p.payloadCaptured], [DecodeStatus.NONE, 528, 500, 32]);
});

test('fuzz (seeded): random bytes and damaged valid packets never throw; decoded + errors = packets', () => {
  const valid = [
    ethernet(ipv4(A, B, 6, tcp(1, 2, 0x18, 40))),
    ethernet(ipv6(A6, B6, 17, udp(3, 53, dnsMessage(0x1234, 'a.example.com', 1, false))), 0x86dd),
    ethernet(ipv4(A, B, 17, udp(3, 53, dnsMessage(0x1234, 'x.y', 16, false))), 0x0800, [0x8100]),
    ethernet(ipv6(A6, B6, 0, ext(44, ext(6, tcp(9, 8, 2), 'frag'))), 0x86dd, [0x88a8, 0x8100]),
    ipv4(A, B, 1, new Uint8Array(12)),
  ];
  const links = [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, LinkType.IPV6, 999];
  const d = new Decoder();
  const p = new PacketInfo();
  const dns = new DnsInfo();
  let n = 0;
  const packet = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .tuple(fc.nat(valid.length - 1), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([i, cut, flips]) => {
        const v = valid[i]!.slice();
        for (const [at, val] of flips) v[at % v.length] = val;
        return v.slice(0, cut % (v.length + 1));
      }),
  );
  fc.assert(
    fc.property(packet, fc.constantFrom(...links), fc.nat(8), (pkt, link, pad) => {
      // Decode at an offset inside a larger buffer, as readers hand packets over.
      const buf = new Uint8Array(pad + pkt.length + 8).fill(0xee);
      buf.set(pkt, pad);
      n++;
      if (d.decode(buf, pad, pkt.length, link, p) === DecodeStatus.NONE) {
        assert.ok(p.payloadOffset >= pad && p.payloadCaptured >= 0 && p.payloadOffset + p.payloadCaptured <= pad + pkt.length);
        assert.ok(p.payloadLength >= 0 && p.ipLength >= 0);
        if (parseDns(buf, p.payloadOffset, p.payloadCaptured, dns, p.protocol === 6)) dnsName(buf, dns);
      }
    }),
    { numRuns: 5000, seed: 42 },
  );
  const errors = d.errors.reduce((a, b) => a + b, 0);
  assert.equal(d.decoded + errors, n, 'decoded + errors by reason = packets');
  assert.ok(d.decoded > 0 && errors > 0);
  assert.equal(DECODE_STATUS_NAMES.length, d.errors.length);
  assert.ok(d.errors.filter((x) => x > 0).length >= 5, `several reasons seen: ${d.errors.join(',')}`);
});

test('DNS: name, type, rcode, label count; compression; loops and garbage rejected without throwing', () => {
  const info = new DnsInfo();
  const q = dnsMessage(0x1234, 'WWW.Example.com', 28, false);
  assert.ok(parseDns(q, 0, q.length, info));
  assert.deepEqual([dnsName(q, info), info.qtype, info.isResponse, info.labels, info.nameLength], ['www.example.com', 28, false, 3, 15]);
  const resp = dnsMessage(0x1234, 'nx.example.com', 1, { rcode: 3 });
  assert.ok(parseDns(resp, 0, resp.length, info));
  assert.deepEqual([info.isResponse, info.rcode, dnsName(resp, info)], [true, 3, 'nx.example.com']);
  // Over TCP: a 2-byte length prefix.
  const tcpMsg = new Uint8Array(2 + q.length);
  tcpMsg[1] = q.length;
  tcpMsg.set(q, 2);
  assert.ok(parseDns(tcpMsg, 0, tcpMsg.length, info, true));
  assert.equal(dnsName(tcpMsg, info), 'www.example.com');
  // A question name that is a pointer to a name later in the message.
  const ptr = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1, 3, 0x61, 0x62, 0x63, 0]);
  assert.ok(parseDns(ptr, 0, ptr.length, info));
  assert.equal(dnsName(ptr, info), 'abc');
  const loop = dnsMessage(0x1234, 'a.b', 1, false);
  loop[12] = 0xc0;
  loop[13] = 12; // points at itself
  assert.equal(parseDns(loop, 0, loop.length, info), false);
  const outOfRange = dnsMessage(0x1234, 'a.b', 1, false);
  outOfRange[12] = 60; // label longer than the message
  assert.equal(parseDns(outOfRange, 0, outOfRange.length, info), false);
  assert.equal(parseDns(new Uint8Array(5), 0, 5, info), false);
  assert.equal(parseDns(q, 0, 1000, info), true, 'a length past the buffer is clamped');
  const root = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);
  assert.ok(parseDns(root, 0, root.length, info));
  assert.deepEqual([dnsName(root, info), info.qtype, info.labels], ['.', 2, 0]);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 12, maxLength: 80 }), (m) => {
      m[4] = 0;
      m[5] = 1;
      if (parseDns(m, 0, m.length, info)) assert.ok(dnsName(m, info).length <= 255);
    }),
    { numRuns: 3000, seed: 7 },
  );
  assert.equal(entropy('aaaa'), 0);
  assert.equal(entropy('ab'), 1);
});

test('fragments count into their datagram\'s flow: a later fragment takes its first fragment\'s ports (IPv4 and IPv6), no TCP flags, no payload to inspect', () => {
  const d = new Decoder();
  const p = new PacketInfo();
  const run = (pkt: Uint8Array) => d.decode(pkt, 0, pkt.length, LinkType.RAW, p);
  // IPv4: a UDP datagram of 3 fragments (ids 7), interleaved with another datagram's (id 8).
  assert.equal(run(ipv4(A, B, 17, udp(4000, 53, new Uint8Array(1472)), { id: 7, mf: true })), DecodeStatus.NONE);
  assert.deepEqual([p.firstFragment, p.laterFragment, p.srcPort, p.dstPort], [true, false, 4000, 53]);
  assert.equal(run(ipv4(A, B, 17, udp(4001, 123, new Uint8Array(100)), { id: 8, mf: true })), DecodeStatus.NONE);
  assert.equal(run(ipv4(A, B, 17, new Uint8Array(1480), { id: 7, frag: 185, mf: true })), DecodeStatus.NONE);
  assert.deepEqual([p.firstFragment, p.laterFragment, p.protocol, p.srcPort, p.dstPort, p.ipLength, p.payloadLength, p.payloadCaptured, p.tcpFlags], [false, true, 17, 4000, 53, 1500, 1480, 0, 0]);
  assert.equal(run(ipv4(A, B, 17, new Uint8Array(40), { id: 8, frag: 14 })), DecodeStatus.NONE);
  assert.deepEqual([p.srcPort, p.dstPort], [4001, 123]);
  // Same id from another source, or another protocol: not this datagram.
  assert.equal(run(ipv4(B, A, 17, new Uint8Array(40), { id: 7, frag: 370 })), DecodeStatus.FRAGMENT);
  assert.equal(run(ipv4(A, B, 6, new Uint8Array(40), { id: 7, frag: 370 })), DecodeStatus.FRAGMENT);
  // TCP: the later fragment carries no flags of its own.
  assert.equal(run(ipv4(A, B, 6, tcp(5555, 80, TcpFlag.PSH | TcpFlag.ACK, 1000), { id: 9, mf: true })), DecodeStatus.NONE);
  assert.equal(run(ipv4(A, B, 6, new Uint8Array(200), { id: 9, frag: 130 })), DecodeStatus.NONE);
  assert.deepEqual([p.srcPort, p.dstPort, p.tcpFlags], [5555, 80, 0]);
  // IPv6: the fragment header's identification and next header.
  const id = 0xdeadbeef;
  assert.equal(run(ipv6(A6, B6, 44, ext(17, udp(7000, 443, new Uint8Array(1000)), 'frag', { offset: 0, more: true, id }))), DecodeStatus.NONE);
  assert.equal(run(ipv6(A6, B6, 44, ext(17, new Uint8Array(504), 'frag', { offset: 126, more: false, id }))), DecodeStatus.NONE);
  assert.deepEqual([p.laterFragment, p.protocol, p.srcPort, p.dstPort, p.payloadLength, p.ipLength], [true, 17, 7000, 443, 504, 40 + 8 + 504]);
  assert.equal(run(ipv6(A6, B6, 44, ext(17, new Uint8Array(504), 'frag', { offset: 126, more: false, id: id + 1 }))), DecodeStatus.FRAGMENT);
  assert.deepEqual([d.fragments, d.errors[DecodeStatus.FRAGMENT]], [11, 3]);
});
