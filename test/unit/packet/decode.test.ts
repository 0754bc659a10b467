import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, DecodeError, PacketInfo, formatAddress, DECODE_ERROR_NAMES } from '../../../lib/packet/decode.ts';
import { parseDns, DnsInfo, entropy } from '../../../lib/packet/dns.ts';
import { LinkType } from '../../../lib/pcap/types.ts';
import { ethernet, ipv4, ipv6, tcp, udp, dnsQuery } from '../../helpers/packets.ts';

const A = [10, 0, 0, 1];
const B = [192, 168, 1, 2];
const A6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

function decode(pkt: Uint8Array, link: number): { r: number; p: PacketInfo; d: Decoder } {
  const d = new Decoder();
  const p = new PacketInfo();
  return { r: d.decode(pkt, 0, pkt.length, link, p), p, d };
}

test('Ethernet, 802.1Q and QinQ, IPv4 with options, TCP', () => {
  for (const vlans of [[], [0x8100], [0x88a8, 0x8100]]) {
    const { r, p } = decode(ethernet(ipv4(A, B, 6, tcp(40000, 443, 0x02, 10), { ihl: 24 }), 0x0800, vlans), LinkType.ETHERNET);
    assert.equal(r, DecodeError.NONE);
    assert.equal(formatAddress(p.src, 4), '10.0.0.1');
    assert.equal(formatAddress(p.dst, 4), '192.168.1.2');
    assert.deepEqual([p.protocol, p.srcPort, p.dstPort, p.tcpFlags, p.payloadLength, p.ipLength], [6, 40000, 443, 0x02, 10, 54]);
  }
});

test('Linux cooked SLL and SLL2, raw IP, BSD loopback', () => {
  const ip = ipv4(A, B, 17, udp(5353, 53));
  const sll = new Uint8Array(16 + ip.length);
  sll[14] = 0x08;
  sll.set(ip, 16);
  const sll2 = new Uint8Array(20 + ip.length);
  sll2[0] = 0x08;
  sll2.set(ip, 20);
  const loop = new Uint8Array(4 + ip.length);
  loop[0] = 2;
  loop.set(ip, 4);
  for (const [pkt, link] of [[sll, LinkType.LINUX_SLL], [sll2, LinkType.LINUX_SLL2], [ip, LinkType.RAW], [ip, LinkType.IPV4], [loop, LinkType.NULL]] as const) {
    const { r, p } = decode(pkt, link);
    assert.equal(r, DecodeError.NONE, `link ${link}`);
    assert.equal(p.dstPort, 53);
  }
});

test('IPv6 with hop-by-hop and destination options; ICMPv6 type/code as ports', () => {
  const hop = new Uint8Array(8 + 8 + 20);
  hop[0] = 60; // next: destination options
  hop[1] = 0;
  hop[8] = 6; // next: TCP
  hop[9] = 0;
  hop.set(tcp(1234, 80, 0x12), 16);
  const { r, p } = decode(ethernet(ipv6(A6, B6, 0, hop), 0x86dd), LinkType.ETHERNET);
  assert.equal(r, DecodeError.NONE);
  assert.equal(formatAddress(p.src, 6), '2001:db8::1');
  assert.deepEqual([p.protocol, p.srcPort, p.dstPort], [6, 1234, 80]);
  const icmp = new Uint8Array(8);
  icmp[0] = 128;
  const r2 = decode(ipv6(A6, B6, 58, icmp), LinkType.RAW);
  assert.deepEqual([r2.r, r2.p.protocol, r2.p.srcPort, r2.p.dstPort], [DecodeError.NONE, 58, 128, 0]);
});

test('fragments: the first carries ports, later ones are counted and skipped', () => {
  const first = decode(ipv4(A, B, 17, udp(1, 2), { mf: true }), LinkType.RAW);
  assert.equal(first.r, DecodeError.NONE);
  assert.equal(first.p.firstFragment, true);
  const later = decode(ipv4(A, B, 17, new Uint8Array(16), { frag: 185 }), LinkType.RAW);
  assert.equal(later.r, DecodeError.FRAGMENT);
  assert.equal(later.d.fragments, 1);
});

test('fuzz: random and truncated bytes never throw, and every packet is accounted for', () => {
  const d = new Decoder();
  const p = new PacketInfo();
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const valid = [
    ethernet(ipv4(A, B, 6, tcp(1, 2, 0x18, 40))),
    ethernet(ipv6(A6, B6, 17, udp(3, 53, dnsQuery('a.example.com', 1))), 0x86dd),
    ethernet(ipv4(A, B, 17, udp(3, 53, dnsQuery('x.y', 16))), 0x0800, [0x8100]),
  ];
  const links = [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.NULL, 999];
  let ok = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    let pkt: Uint8Array;
    if (i % 2 === 0) {
      const v = valid[i % valid.length]!;
      pkt = v.slice(0, Math.floor(rnd() * (v.length + 1)));
      if (rnd() < 0.3 && pkt.length > 0) pkt[Math.floor(rnd() * pkt.length)] = Math.floor(rnd() * 256);
    } else {
      pkt = Uint8Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256));
    }
    const link = links[Math.floor(rnd() * links.length)]!;
    if (d.decode(pkt, 0, pkt.length, link, p) === DecodeError.NONE) {
      ok++;
      // A DNS payload that decoded at the transport layer must not break the DNS parser either.
      parseDns(pkt, p.payloadOffset, p.payloadCaptured, new DnsInfo());
    }
  }
  const errors = d.errors.reduce((a, b) => a + b, 0);
  assert.equal(ok + errors, n, 'decoded + errors by reason = packets');
  assert.ok(ok > 0 && errors > 0);
  assert.equal(DECODE_ERROR_NAMES.length, d.errors.length);
});

test('DNS: name, type, rcode; compression loops and garbage are rejected without throwing', () => {
  const info = new DnsInfo();
  assert.ok(parseDns(dnsQuery('WWW.Example.com', 28), 0, 100, info));
  assert.deepEqual([info.qname, info.qtype, info.isResponse], ['www.example.com', 28, false]);
  const resp = dnsQuery('nx.example.com', 1, true, 3);
  assert.ok(parseDns(resp, 0, resp.length, info));
  assert.deepEqual([info.isResponse, info.rcode], [true, 3]);
  const loop = dnsQuery('a.b', 1);
  loop[12] = 0xc0;
  loop[13] = 12; // points at itself
  assert.equal(parseDns(loop, 0, loop.length, info), false);
  assert.equal(parseDns(new Uint8Array(5), 0, 5, info), false);
  assert.equal(entropy('aaaa'), 0);
  assert.equal(entropy('ab'), 1);
});
