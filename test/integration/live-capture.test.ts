// Live capture on a real interface: a veth pair into a private network namespace, known
// traffic (N TCP connections, M UDP request/response pairs), the live source on the host
// end, and tcpdump on the same interface at the same time. The flows must be exactly the
// ones generated, and equal, field by field, to what our pcap reader and flow table make of
// tcpdump's capture: an independent record of the same wire.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LiveFlows } from '../../lib/flow/from-live.ts';
import { flowsFromPcap } from '../../lib/flow/from-pcap.ts';
import { LinkType } from '../../lib/pcap/types.ts';
import { CaptureError, LiveCapture } from '../../lib/capture/live.ts';
import type { Flow } from '../../lib/flow/record.ts';
import { generateTraffic, liveCaptureSkipReason, startTcpdump, tcpReplyBytes, udpReplyBytes, TCP_PORT, UDP_PORT, useVethLab } from '../helpers/netns.ts';
import { REPO } from '../helpers/stack.ts';

const skip = liveCaptureSkipReason();
const N_TCP = 5;
const M_UDP = 4;
const dir = mkdtempSync(join(tmpdir(), 'nids-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lab = useVethLab('c', skip);

/** What must agree between two records of the same wire (not the capture times). */
const comparable = (f: Flow) => ({
  src: `${f.src_ip}:${f.src_port}`,
  dst: `${f.dst_ip}:${f.dst_port}`,
  protocol: f.protocol,
  community_id: f.community_id,
  packets: [f.packets_fwd, f.packets_rev],
  bytes: [f.bytes_fwd, f.bytes_rev],
  payload: [f.payload_bytes_fwd, f.payload_bytes_rev],
  flags: [f.syn_count, f.synack_count, f.fin_count, f.rst_count, f.psh_count, f.urg_count],
  handshake: f.handshake_complete,
  sizes: [f.pkt_size_min, f.pkt_size_max],
  end_reason: f.end_reason,
});
const byTuple = (a: { src: string; protocol: number }, b: { src: string; protocol: number }) => a.protocol - b.protocol || a.src.localeCompare(b.src);

test('live capture on a veth: exactly the flows generated, equal to tcpdump\'s record of the same wire', { skip, timeout: 120_000 }, async () => {
  const l = lab();
  const filter = `host ${l.peerAddr}`;
  const pcap = join(dir, 'wire.pcap');
  const tcpdump = await startTcpdump(l.hostIf, filter, pcap);
  const live: Flow[] = [];
  const source = new LiveFlows({ iface: l.hostIf, filter }, { sensorId: 'it-live' }, (f) => live.push(f));
  let exchanges;
  try {
    assert.equal(source.capture.linkType, LinkType.ETHERNET);
    exchanges = await generateTraffic(l.peerAddr, N_TCP, M_UDP);
    await new Promise((r) => setTimeout(r, 500)); // the last ACKs reach both captures
  } finally {
    await tcpdump.stop();
    source.stop();
  }
  const stats = source.stop(); // idempotent: the same totals
  assert.equal(stats.capture.truncated, 0);
  assert.equal(stats.capture.packets, stats.packets);
  assert.equal(stats.flowsOpen, 0);

  // What was generated, exchange by exchange.
  assert.equal(exchanges.length, N_TCP + M_UDP);
  for (const x of exchanges) assert.equal(x.received, x.protocol === 6 ? tcpReplyBytes(x.sent) : udpReplyBytes(x.sent), 'the responder answered in full');
  assert.equal(live.length, N_TCP + M_UDP, `flows: ${JSON.stringify(live.map(comparable))}`);
  for (const x of exchanges) {
    const f = live.find((g) => g.protocol === x.protocol && g.src_port === x.srcPort);
    assert.ok(f, `no flow for ${x.protocol}/${x.srcPort}`);
    assert.equal(f.src_ip, l.hostAddr);
    assert.equal(f.dst_ip, l.peerAddr);
    assert.equal(f.dst_port, x.protocol === 6 ? TCP_PORT : UDP_PORT);
    assert.equal(f.payload_bytes_fwd, x.sent, 'payload bytes from the host');
    assert.equal(f.payload_bytes_rev, x.received, 'payload bytes from the namespace');
    assert.equal(f.sensor_id, 'it-live');
    if (x.protocol === 17) {
      assert.deepEqual([f.packets_fwd, f.packets_rev, f.bytes_fwd, f.bytes_rev], [1, 1, 28 + x.sent, 28 + x.received]);
      assert.equal(f.end_reason, 'shutdown');
    } else {
      assert.equal(f.handshake_complete, true);
      assert.equal(f.end_reason, 'fin');
      assert.ok(f.packets_fwd >= 4 && f.packets_rev >= 3, `${f.packets_fwd}/${f.packets_rev} packets`);
    }
    const now = Date.now() * 1000;
    assert.ok(f.ts_start > now - 120e6 && f.ts_end <= now && f.ts_end >= f.ts_start, 'timestamps from the wall clock');
  }

  // The independent record: tcpdump's file through our reader and flow table.
  const reference: Flow[] = [];
  const ref = await flowsFromPcap(pcap, { sensorId: 'it-live' }, (f) => reference.push(f));
  assert.equal(ref.packets, stats.packets, 'both captures saw the same packets');
  assert.deepEqual(live.map(comparable).sort(byTuple), reference.map(comparable).sort(byTuple));
});

test('live capture: an idle flow is exported on a quiet link, by the clock alone', { skip, timeout: 60_000 }, async () => {
  const l = lab();
  const live: Flow[] = [];
  // UDP goes idle after min(30, idle) s: 1 s here.
  const source = new LiveFlows({ iface: l.hostIf, filter: `udp and host ${l.peerAddr}` }, { sensorId: 'it-idle', idleTimeoutS: 1 }, (f) => live.push(f), { advanceEveryMs: 200 });
  try {
    await generateTraffic(l.peerAddr, 0, 1);
    const deadline = Date.now() + 5000;
    while (live.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(live.length, 1, 'exported while the capture still runs');
    assert.equal(live[0]!.end_reason, 'idle');
    assert.deepEqual([live[0]!.packets_fwd, live[0]!.packets_rev], [1, 1]);
  } finally {
    source.stop();
  }
  assert.equal(live.length, 1, 'nothing left to flush');
});

test('live capture: a snap length cuts packets (counted), byte counts still come from the IP header', { skip, timeout: 60_000 }, async () => {
  const l = lab();
  const live: Flow[] = [];
  const source = new LiveFlows({ iface: l.hostIf, filter: `udp and host ${l.peerAddr}`, snapLen: 64 }, { sensorId: 'it-snap' }, (f) => live.push(f));
  let x;
  try {
    [x] = await generateTraffic(l.peerAddr, 0, 1);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    source.stop();
  }
  const stats = source.stop();
  assert.equal(stats.capture.packets, 2);
  assert.equal(stats.capture.truncated, 2, '14 + 28 + 50 bytes > 64');
  assert.equal(live.length, 1);
  assert.deepEqual([live[0]!.bytes_fwd, live[0]!.bytes_rev], [28 + x!.sent, 28 + x!.received]);
});

test('live capture: promisc off still sees the interface\'s own traffic', { skip, timeout: 60_000 }, async () => {
  const l = lab();
  const live: Flow[] = [];
  const source = new LiveFlows({ iface: l.hostIf, filter: 'udp', promisc: false }, { sensorId: 'it-promisc' }, (f) => live.push(f));
  try {
    assert.equal(source.capture.filter, 'udp');
    await generateTraffic(l.peerAddr, 0, 1);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    source.stop();
  }
  assert.equal(live.length, 1, 'this host\'s own traffic is still seen');
  assert.deepEqual([live[0]!.packets_fwd, live[0]!.packets_rev], [1, 1]);
});

test('live capture on `any`: Linux cooked headers, the same flows', { skip, timeout: 60_000 }, async () => {
  const l = lab();
  const live: Flow[] = [];
  const source = new LiveFlows({ iface: 'any', filter: `udp and host ${l.peerAddr}` }, { sensorId: 'it-any' }, (f) => live.push(f));
  let xs;
  try {
    assert.ok(source.capture.linkType === LinkType.LINUX_SLL || source.capture.linkType === LinkType.LINUX_SLL2, `link type ${source.capture.linkType}`);
    xs = await generateTraffic(l.peerAddr, 0, 2);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    source.stop();
  }
  assert.equal(live.length, 2);
  for (const x of xs!) {
    const f = live.find((g) => g.src_port === x.srcPort);
    assert.ok(f);
    assert.deepEqual([f.packets_fwd, f.packets_rev, f.payload_bytes_fwd, f.payload_bytes_rev], [1, 1, x.sent, x.received]);
  }
});

test('live capture: errors a person can act on', { skip }, () => {
  const handler = { onPacket() {} };
  assert.throws(() => new LiveCapture(handler, { iface: 'nids-nope0' }), (e: CaptureError) =>
    e.code === 'no-such-interface' && /no such interface "nids-nope0"; available: .*\blo\b/.test(e.message));
  assert.throws(() => new LiveCapture(handler, { iface: 'lo', filter: 'this is not bpf' }), (e: CaptureError) =>
    e.code === 'open-failed' && /invalid BPF filter "this is not bpf"/.test(e.message));
});

test('nids sensor --iface without CAP_NET_RAW stops at start-up saying how to grant it', { skip, timeout: 60_000 }, () => {
  // As an unprivileged user (nobody); the capture is probed before anything is connected.
  const r = spawnSync(process.execPath, [`${REPO}bin/nids`, 'sensor', '--iface', lab().hostIf, '--brokers', '127.0.0.1:1'], {
    cwd: REPO,
    uid: 65534,
    gid: 65534,
    env: { ...process.env, HOME: tmpdir(), NIDS_LOG_LEVEL: 'error' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /needs CAP_NET_RAW: run as root or `setcap cap_net_raw,cap_net_admin=eip \$\(readlink -f \$\(which node\)\)`/);
});
