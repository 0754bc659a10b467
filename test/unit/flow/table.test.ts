import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable, flowId, type FlowTableOptions } from '../../../lib/flow/table.ts';
import { communityId } from '../../../lib/flow/community-id.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { END_REASONS } from '../../../lib/flow/record.ts';
import { LinkType } from '../../../lib/pcap/types.ts';
import { tcpFrame, udpFrame, dnsMessage, ethernet, ipv4, ipv6, udp, type Endpoint } from '../../../lib/sim/frames.ts';
import { TcpFlag } from '../../../lib/packet/decode.ts';
import { ipBytes } from '../../../lib/features/cidr.ts';

const T0 = 1_700_000_000_000_000; // µs
const S = 1e6;
const C: Endpoint = { ip: '10.0.0.1', port: 40000 };
const SRV: Endpoint = { ip: '10.0.0.2', port: 80 };

class Harness {
  flows: Flow[] = [];
  table: FlowTable;
  constructor(opts: Partial<FlowTableOptions> = {}) {
    this.table = new FlowTable({ sensorId: 's1', ...opts, onExport: (f) => this.flows.push(f) });
  }
  feed(frame: Uint8Array, ts: number, link: number = LinkType.ETHERNET): void {
    // Inside a larger buffer at an offset, as a reader hands it over, then scribbled over:
    // the table must not keep references into it.
    const buf = new Uint8Array(frame.length + 10);
    buf.set(frame, 7);
    this.table.onPacket(buf, 7, frame.length, frame.length, ts, link);
    buf.fill(0xaa);
  }
  one(): Flow {
    assert.equal(this.flows.length, 1, `one flow expected, got ${this.flows.length}`);
    return this.flows[0]!;
  }
}

/** A full TCP conversation; returns the IP lengths sent each way and the timestamps. */
function conversation(h: Harness, t: number, client = C, server = SRV): { fwd: number[]; rev: number[]; ts: number[] } {
  const fwd: number[] = [];
  const rev: number[] = [];
  const ts: number[] = [];
  const send = (from: Endpoint, to: Endpoint, flags: number, payload: number, gap: number) => {
    t += gap;
    const f = tcpFrame(from, to, flags, 1, 1, payload);
    (from === client ? fwd : rev).push(f.length - 14);
    ts.push(t);
    h.feed(f, t);
  };
  send(client, server, TcpFlag.SYN, 0, 0);
  send(server, client, TcpFlag.SYN | TcpFlag.ACK, 0, 1000);
  send(client, server, TcpFlag.ACK, 0, 500);
  send(client, server, TcpFlag.PSH | TcpFlag.ACK, 100, 3000);
  send(server, client, TcpFlag.PSH | TcpFlag.ACK, 1400, 10_000);
  send(server, client, TcpFlag.ACK | 0x20, 10, 200); // URG
  send(client, server, TcpFlag.FIN | TcpFlag.ACK, 0, 7000);
  send(server, client, TcpFlag.FIN | TcpFlag.ACK, 0, 800);
  send(client, server, TcpFlag.ACK, 0, 900);
  return { fwd, rev, ts };
}

test('a TCP conversation: counts each way, flags, handshake, sizes, inter-arrival stats, FIN after the linger', () => {
  const h = new Harness();
  const { fwd, rev, ts } = conversation(h, T0);
  assert.equal(h.flows.length, 0, 'lingers for the last ACK and stragglers');
  h.table.advance(ts.at(-1)! + 5 * S);
  const f = h.one();
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const sizes = [...fwd, ...rev];
  const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
  const mean = sum(gaps) / gaps.length;
  const std = Math.sqrt(sum(gaps.map((g) => (g - mean) ** 2)) / gaps.length);
  assert.deepEqual(
    [f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.protocol, f.ip_version],
    ['10.0.0.1', 40000, '10.0.0.2', 80, 6, 4],
  );
  assert.deepEqual([f.ts_start, f.ts_end], [ts[0], ts.at(-1)]);
  assert.deepEqual([f.packets_fwd, f.packets_rev, f.bytes_fwd, f.bytes_rev], [fwd.length, rev.length, sum(fwd), sum(rev)]);
  assert.deepEqual([f.payload_bytes_fwd, f.payload_bytes_rev], [100, 1410]);
  assert.deepEqual([f.syn_count, f.synack_count, f.fin_count, f.rst_count, f.psh_count, f.urg_count], [1, 1, 2, 0, 2, 1]);
  assert.equal(f.handshake_complete, true);
  assert.equal(f.end_reason, 'fin');
  assert.deepEqual([f.pkt_size_min, f.pkt_size_max], [Math.min(...sizes), Math.max(...sizes)]);
  assert.ok(Math.abs(f.pkt_size_mean - sum(sizes) / sizes.length) < 1e-9);
  assert.ok(Math.abs(f.iat_mean_us - mean) < 1e-6, `${f.iat_mean_us} vs ${mean}`);
  assert.ok(Math.abs(f.iat_std_us - std) < 1e-6, `${f.iat_std_us} vs ${std}`);
  assert.equal(f.community_id, communityId(ipBytes('10.0.0.1')!, ipBytes('10.0.0.2')!, 6, 40000, 80));
  assert.equal(f.flow_id, flowId('s1', f.community_id, f.ts_start));
  assert.match(f.flow_id, /^[0-9a-f]{16}$/);
  assert.deepEqual([f.dns_qname, f.dns_qtype, f.dns_rcode], [null, -1, -1]);
  assert.equal(f.sensor_id, 's1');
  // The same packets give the same record, flow_id included; another sensor another id.
  const again = new Harness();
  conversation(again, T0);
  again.table.flush();
  assert.deepEqual(again.one(), f);
  const other = new Harness({ sensorId: 's2' });
  conversation(other, T0);
  other.table.flush();
  assert.notEqual(other.one().flow_id, f.flow_id);
  assert.equal(other.one().community_id, f.community_id);
});

test('RST ends a flow; a SYN answered by RST is SYN-only; a new SYN on a closed 5-tuple starts a new flow', () => {
  const h = new Harness();
  h.feed(tcpFrame(C, SRV, TcpFlag.SYN, 1, 0), T0);
  h.feed(tcpFrame(SRV, C, TcpFlag.RST | TcpFlag.ACK, 0, 2), T0 + 100);
  h.feed(tcpFrame(SRV, C, TcpFlag.RST | TcpFlag.ACK, 0, 2), T0 + 200); // a straggler joins in the linger
  h.feed(tcpFrame(C, SRV, TcpFlag.SYN, 1, 0), T0 + 1 * S); // port reuse: the old flow ends now
  assert.equal(h.flows.length, 1);
  const f = h.flows[0]!;
  assert.deepEqual([f.end_reason, f.packets_fwd, f.packets_rev, f.rst_count, f.handshake_complete], ['rst', 1, 2, 2, false]);
  assert.equal(f.ctx_src_syn_only_share, 1);
  h.table.flush();
  assert.deepEqual(h.flows.map((x) => x.end_reason), ['rst', 'shutdown']);
  assert.equal(h.flows[1]!.ts_start, T0 + 1 * S);
  assert.notEqual(h.flows[1]!.flow_id, f.flow_id);
});

test('idle timeouts per protocol (defaults TCP 60 s, UDP 30 s, ICMP 10 s), driven by packet time or advance()', () => {
  const h = new Harness();
  const icmp = new Uint8Array(16);
  icmp[0] = 8;
  h.feed(tcpFrame(C, SRV, TcpFlag.ACK, 1, 1, 10), T0);
  h.feed(udpFrame(C, { ip: '10.0.0.3', port: 5000 }, new Uint8Array(10)), T0);
  h.feed(ethernet(ipv4([10, 0, 0, 1], [10, 0, 0, 4], 1, icmp)), T0);
  const reasons = () => h.flows.map((f) => `${f.protocol}:${f.end_reason}`);
  // Another flow's packet moves time on.
  h.feed(udpFrame({ ip: '10.9.9.9', port: 1 }, { ip: '10.9.9.8', port: 2 }, new Uint8Array(1)), T0 + 11 * S);
  assert.deepEqual(reasons(), ['1:idle']);
  h.table.advance(T0 + 31 * S);
  assert.deepEqual(reasons(), ['1:idle', '17:idle']);
  h.table.advance(T0 + 59 * S);
  assert.deepEqual(reasons(), ['1:idle', '17:idle', '17:idle']);
  h.table.advance(T0 + 60 * S);
  assert.deepEqual(reasons(), ['1:idle', '17:idle', '17:idle', '6:idle']);
  assert.equal(h.table.open, 0);
  // A packet within the timeout keeps a flow open; explicit timeouts are honoured.
  const k = new Harness({ idleTimeoutS: 5, udpIdleTimeoutS: 2 });
  for (let i = 0; i < 10; i++) k.feed(udpFrame(C, SRV, new Uint8Array(4)), T0 + i * 1.9 * S);
  k.table.advance(T0 + 9 * 1.9 * S + 1.9 * S);
  assert.equal(k.flows.length, 0);
  k.table.advance(T0 + 9 * 1.9 * S + 2 * S);
  assert.deepEqual(k.flows.map((f) => [f.end_reason, f.packets_fwd]), [['idle', 10]]);
});

test('active timeout splits a long flow; the continuation keeps its initiator', () => {
  const h = new Harness({ activeTimeoutS: 300, idleTimeoutS: 60 });
  for (let i = 0; i <= 70; i++) {
    // Alternate directions; the packet that crosses 300 s is a reply.
    const fromClient = i % 2 === 0;
    h.feed(tcpFrame(fromClient ? C : SRV, fromClient ? SRV : C, TcpFlag.ACK, 1, 1, 1), T0 + i * 10 * S);
  }
  h.table.flush();
  assert.deepEqual(h.flows.map((f) => f.end_reason), ['active', 'active', 'shutdown']);
  for (const f of h.flows) assert.deepEqual([f.src_ip, f.src_port], ['10.0.0.1', 40000]);
  assert.deepEqual(h.flows.map((f) => f.packets_fwd + f.packets_rev), [30, 30, 11]);
  assert.deepEqual(h.flows.map((f) => f.ts_start), [T0, T0 + 300 * S, T0 + 600 * S]);
  assert.equal(new Set(h.flows.map((f) => f.flow_id)).size, 3);
});

test('a cap on open flows evicts the least recently seen (counted); the table grows up to it', () => {
  const h = new Harness({ maxFlows: 3 });
  for (let i = 0; i < 5; i++) h.feed(udpFrame({ ip: `10.0.1.${i}`, port: 1000 }, SRV, new Uint8Array(1)), T0 + i);
  h.feed(udpFrame({ ip: '10.0.1.2', port: 1000 }, SRV, new Uint8Array(1)), T0 + 10); // 2 is now the most recent
  h.feed(udpFrame({ ip: '10.0.1.9', port: 1000 }, SRV, new Uint8Array(1)), T0 + 11); // evicts 3
  assert.deepEqual(h.flows.map((f) => [f.src_ip, f.end_reason]), [['10.0.1.0', 'evicted'], ['10.0.1.1', 'evicted'], ['10.0.1.3', 'evicted']]);
  assert.equal(h.table.evictions, 3);
  assert.equal(h.table.open, 3);
  assert.equal(h.table.stats().flowsExported.evicted, 3);
  // Growth: many more flows than the initial capacity, each found again by its second packet.
  const g = new Harness({ maxFlows: 50_000 });
  const n = 20_000;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < n; i++) {
      const a: Endpoint = { ip: `10.${(i >> 8) & 255}.${i & 255}.1`, port: 1024 + (i % 1000) };
      g.feed(round === 0 ? udpFrame(a, SRV, new Uint8Array(1)) : udpFrame(SRV, a, new Uint8Array(2)), T0 + round * 1000 + i);
    }
  }
  assert.equal(g.table.open, n);
  assert.ok(g.table.capacity >= n && g.table.capacity <= 50_000);
  g.table.flush();
  assert.equal(g.flows.length, n);
  assert.ok(g.flows.every((f) => f.packets_fwd === 1 && f.packets_rev === 1 && f.end_reason === 'shutdown'));
});

test('flush exports everything open; closed flows keep their reason; counters add up', () => {
  const h = new Harness();
  conversation(h, T0);
  h.feed(udpFrame(C, SRV, new Uint8Array(3)), T0 + 100);
  h.feed(new Uint8Array(10), T0 + 200); // truncated Ethernet
  h.feed(ethernet(ipv4([1, 1, 1, 1], [2, 2, 2, 2], 17, new Uint8Array(16), { frag: 100 })), T0 + 300);
  assert.equal(h.table.open, 2);
  h.table.flush('shutdown');
  assert.deepEqual(h.flows.map((f) => `${f.protocol}:${f.end_reason}`).sort(), ['17:shutdown', '6:fin']);
  const st = h.table.stats();
  assert.equal(st.packets, 12);
  assert.equal(st.decodeErrors.truncated_link, 1);
  assert.equal(st.decodeErrors.orphan_fragment, 1);
  assert.equal(st.fragments, 1);
  assert.equal(st.flowsOpen, 0);
  assert.deepEqual([st.flowsExported.fin, st.flowsExported.shutdown], [1, 1]);
  assert.equal(h.table.exported.length, END_REASONS.length);
});

test('a fragmented datagram counts into its flow with every fragment\'s bytes; an orphan fragment is counted and skipped', () => {
  const h = new Harness();
  const [a, b] = [[10, 0, 0, 7], [10, 0, 0, 8]];
  // 4 000 bytes of UDP payload to port 5000 in three fragments (1480 + 1480 + 1048 IP payload).
  h.feed(ethernet(ipv4(a, b, 17, udp(6000, 5000, new Uint8Array(1472)), { id: 42, mf: true })), T0);
  h.feed(ethernet(ipv4(a, b, 17, new Uint8Array(1480), { id: 42, frag: 185, mf: true })), T0 + 10);
  h.feed(ethernet(ipv4(a, b, 17, new Uint8Array(1048), { id: 42, frag: 370 })), T0 + 20);
  h.feed(ethernet(ipv4(a, b, 17, new Uint8Array(100), { id: 43, frag: 370 })), T0 + 30);
  h.table.flush('shutdown');
  assert.equal(h.flows.length, 1);
  const f = h.flows[0]!;
  assert.deepEqual([f.src_port, f.dst_port, f.packets_fwd, f.bytes_fwd, f.payload_bytes_fwd], [6000, 5000, 3, 1500 + 1500 + 1068, 1472 + 1480 + 1048]);
  const st = h.table.stats();
  assert.deepEqual([st.fragments, st.decodeErrors.orphan_fragment], [4, 1]);
});

test('ICMP echo and reply form one flow; IPv6 flows and addresses', () => {
  const h = new Harness();
  const echo = (type: number) => {
    const b = new Uint8Array(64);
    b[0] = type;
    return b;
  };
  h.feed(ethernet(ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1, echo(8))), T0);
  h.feed(ethernet(ipv4([10, 0, 0, 2], [10, 0, 0, 1], 1, echo(0))), T0 + 50);
  const a6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const b6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
  const udp6 = (sp: number, dp: number) => Uint8Array.of(sp >> 8, sp & 255, dp >> 8, dp & 255, 0, 12, 0, 0, 1, 2, 3, 4);
  h.feed(ethernet(ipv6(a6, b6, 17, udp6(5353, 53)), 0x86dd), T0 + 100);
  h.feed(ethernet(ipv6(b6, a6, 17, udp6(53, 5353)), 0x86dd), T0 + 200);
  h.table.flush();
  const [icmp, udp] = h.flows.sort((x, y) => x.protocol - y.protocol);
  assert.deepEqual([icmp!.protocol, icmp!.src_port, icmp!.dst_port, icmp!.packets_fwd, icmp!.packets_rev, icmp!.payload_bytes_fwd], [1, 8, 0, 1, 1, 56]);
  assert.equal(icmp!.community_id, '1:' + communityId(ipBytes('10.0.0.1')!, ipBytes('10.0.0.2')!, 1, 8, 0).slice(2));
  assert.deepEqual([udp!.ip_version, udp!.src_ip, udp!.dst_ip, udp!.packets_fwd, udp!.packets_rev, udp!.bytes_fwd], [6, '2001:db8::1', '2001:db8::2', 1, 1, 52]);
});

test('DNS fields: first query name and type, first response code, length, labels, entropy', () => {
  const h = new Harness();
  const client: Endpoint = { ip: '10.0.0.5', port: 33333 };
  const resolver: Endpoint = { ip: '10.0.0.53', port: 53 };
  h.feed(udpFrame(client, resolver, dnsMessage(7, 'AbC.Example.COM', 16, false)), T0);
  h.feed(udpFrame(resolver, client, dnsMessage(7, 'abc.example.com', 16, { rcode: 3 })), T0 + 10);
  h.feed(udpFrame(client, resolver, dnsMessage(8, 'second.example.com', 1, false)), T0 + 20);
  h.feed(udpFrame(resolver, client, dnsMessage(8, 'second.example.com', 1, { rcode: 0 })), T0 + 30);
  // Not DNS: port 53 with garbage is ignored, never thrown.
  h.feed(udpFrame({ ip: '10.0.0.6', port: 1 }, resolver, new Uint8Array([1, 2, 3])), T0 + 40);
  h.table.flush();
  const f = h.flows.find((x) => x.src_ip === '10.0.0.5')!;
  const name = 'abc.example.com';
  const counts = [...new Set(name)].map((c) => [...name].filter((x) => x === c).length / name.length);
  const ent = -counts.reduce((s, p) => s + p * Math.log2(p), 0);
  assert.deepEqual([f.dns_qname, f.dns_qtype, f.dns_rcode, f.dns_qname_len, f.dns_label_count], [name, 16, 3, 15, 3]);
  assert.ok(Math.abs(f.dns_qname_entropy - ent) < 1e-12);
  const g = h.flows.find((x) => x.src_ip === '10.0.0.6')!;
  assert.deepEqual([g.dns_qname, g.dns_qtype, g.dns_rcode], [null, -1, -1]);
});

test('behavioral context per source over the sliding window', () => {
  const h = new Harness({ contextWindowS: 60 });
  const scanner: Endpoint = { ip: '10.6.6.6', port: 50000 };
  // 20 SYN-only probes to 5 hosts x 4 ports within a second, then one full conversation.
  for (let i = 0; i < 20; i++) h.feed(tcpFrame(scanner, { ip: `10.0.2.${i % 5}`, port: 20 + Math.floor(i / 5) }, TcpFlag.SYN, 1, 0), T0 + i * 1000);
  conversation(h, T0 + 100_000, scanner, { ip: '10.0.2.0', port: 80 });
  h.table.flush();
  const last = h.flows.reduce((a, b) => (a.ts_start > b.ts_start ? a : b));
  // Flows are exported in flush order; the context of the last one exported covers all 21.
  const exportedLast = h.flows.at(-1)!;
  assert.equal(exportedLast.ctx_window_s, 60);
  assert.equal(exportedLast.ctx_src_distinct_dst_hosts, 5);
  assert.equal(exportedLast.ctx_src_distinct_dst_ports, 5); // 20..23 and 80
  assert.ok(Math.abs(exportedLast.ctx_src_syn_only_share - 20 / 21) < 1e-9);
  // 0.1 s of traffic observed so far: the rate is over one bucket of the window (60 / 16 s), not 60 s.
  assert.ok(Math.abs(exportedLast.ctx_src_flows_per_s - 21 / (60 / 16)) < 1e-9);
  assert.ok(last.ts_start === T0 + 100_000);
  // Two minutes later the window has moved on: only the new flow counts.
  const later = new Harness({ contextWindowS: 60 });
  for (let i = 0; i < 20; i++) later.feed(tcpFrame(scanner, { ip: `10.0.2.${i % 5}`, port: 20 + i }, TcpFlag.SYN, 1, 0), T0 + i * 1000);
  later.table.flush();
  later.feed(udpFrame(scanner, { ip: '10.0.3.1', port: 53 }, new Uint8Array(4)), T0 + 120 * S);
  later.table.flush();
  const f = later.flows.at(-1)!;
  assert.deepEqual([f.ctx_src_distinct_dst_hosts, f.ctx_src_distinct_dst_ports, f.ctx_src_syn_only_share], [1, 1, 0]);
  assert.ok(Math.abs(f.ctx_src_flows_per_s - 1 / 60) < 1e-9);
  // Other sources have their own context.
  later.feed(udpFrame({ ip: '10.7.7.7', port: 1 }, { ip: '10.0.3.1', port: 53 }, new Uint8Array(4)), T0 + 121 * S);
  later.table.flush();
  assert.equal(later.flows.at(-1)!.ctx_src_distinct_dst_ports, 1);
});

test('context memory stays bounded: hosts capped, idle hosts dropped', () => {
  const h = new Harness({ maxSources: 100, maxFlows: 10 });
  for (let i = 0; i < 5000; i++) h.feed(udpFrame({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1 }, SRV, new Uint8Array(1)), T0 + i * 100);
  h.table.flush();
  assert.ok(h.table.context.trackedHosts <= 100, `${h.table.context.trackedHosts} hosts tracked`);
});

test('random traffic: never throws, every packet accounted for, open flows within the cap', () => {
  let seed = 2024;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const h = new Harness({ maxFlows: 64, idleTimeoutS: 2 });
  const hosts = Array.from({ length: 12 }, (_, i) => `10.0.${i >> 2}.${i}`);
  let t = T0;
  for (let i = 0; i < 20_000; i++) {
    // Now and then a quiet spell longer than the idle timeout, so idle expiry runs as well
    // as eviction (the table is full the rest of the time).
    t += rnd() < 0.002 ? 3 * S : Math.floor(rnd() * 20_000);
    const a: Endpoint = { ip: hosts[Math.floor(rnd() * hosts.length)]!, port: 1 + Math.floor(rnd() * 40) };
    const b: Endpoint = { ip: hosts[Math.floor(rnd() * hosts.length)]!, port: 1 + Math.floor(rnd() * 40) };
    let frame = rnd() < 0.6 ? tcpFrame(a, b, Math.floor(rnd() * 64), 1, 1, Math.floor(rnd() * 100)) : udpFrame(a, b, new Uint8Array(Math.floor(rnd() * 100)));
    if (rnd() < 0.1) frame = frame.slice(0, Math.floor(rnd() * frame.length));
    if (rnd() < 0.05) frame[Math.floor(rnd() * frame.length)] = Math.floor(rnd() * 256);
    h.feed(frame, t);
    assert.ok(h.table.open <= 64, `${h.table.open} flows open at packet ${i}`);
  }
  h.table.flush();
  const d = h.table.decoder;
  const errors = d.errors.reduce((x, y) => x + y, 0);
  assert.equal(h.table.packets, 20_000);
  assert.equal(d.decoded + errors, 20_000);
  const inFlows = h.flows.reduce((n, f) => n + f.packets_fwd + f.packets_rev, 0);
  assert.equal(inFlows, d.decoded, 'every decoded packet is in exactly one exported flow');
  const exported = h.table.exported.reduce((x, y) => x + y, 0);
  assert.equal(exported, h.flows.length);
  assert.ok(h.table.evictions > 0, 'the cap evicted flows');
  assert.ok(h.flows.some((f) => f.end_reason === 'idle'), 'quiet spells expired flows as idle');
});

test('a TCP flow first seen mid-stream from a service port is oriented client to server', () => {
  const h = new Harness();
  const ssh: Endpoint = { ip: '10.0.0.2', port: 22 };
  h.feed(tcpFrame(ssh, C, TcpFlag.PSH | TcpFlag.ACK, 1, 1, 48), T0);
  h.feed(tcpFrame(C, ssh, TcpFlag.ACK, 1, 1, 0), T0 + 1000);
  h.feed(tcpFrame(C, ssh, TcpFlag.PSH | TcpFlag.ACK, 1, 1, 36), T0 + 2000);
  h.table.flush();
  const f = h.one();
  assert.deepEqual([f.src_ip, f.src_port, f.dst_ip, f.dst_port], [C.ip, C.port, ssh.ip, ssh.port]);
  assert.deepEqual([f.packets_fwd, f.packets_rev, f.payload_bytes_fwd, f.payload_bytes_rev], [2, 1, 36, 48]);
  // Two ephemeral ports say nothing about who is the server: the first packet's sender stays the initiator.
  const p2p = new Harness();
  p2p.feed(tcpFrame({ ip: '10.0.0.3', port: 5000 }, C, TcpFlag.ACK, 1, 1, 10), T0);
  p2p.table.flush();
  assert.equal(p2p.one().src_ip, '10.0.0.3');
});

test('odd flag combinations: FIN, NULL and XMAS probes and SYN+FIN count; a normal conversation has none', () => {
  const h = new Harness();
  conversation(h, T0);
  h.table.flush();
  assert.equal(h.one().odd_flags_count, 0);
  const probes = new Harness();
  const probe = [TcpFlag.FIN, 0, TcpFlag.FIN | TcpFlag.PSH | 0x20, TcpFlag.SYN | TcpFlag.FIN, TcpFlag.ACK];
  probe.forEach((flags, i) => {
    const port = { ip: SRV.ip, port: 1000 + i };
    probes.feed(tcpFrame(C, port, flags, 1, 0), T0 + i * 1000);
    probes.feed(tcpFrame(port, C, TcpFlag.RST | TcpFlag.ACK, 0, 2), T0 + i * 1000 + 100);
  });
  probes.table.flush();
  assert.deepEqual(probes.flows.map((f) => f.odd_flags_count), [1, 1, 1, 1, 0], 'the lone ACK (an ACK scan) is a flag combination stacks send');
});
