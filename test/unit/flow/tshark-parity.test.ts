// Flow counts and per-direction packets and bytes equal tshark's conversation statistics
// on real captures this test makes with tcpdump: on loopback (Ethernet framing) and on the
// `any` device (Linux cooked framing) at the same time, and the loopback capture rewritten
// by editcap as pcapng and as nanosecond pcap, which must give exactly the same flows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import dgram from 'node:dgram';
import { flowsFromPcap } from '../../../lib/flow/from-pcap.ts';
import { flowsFromPcapInThread } from '../../../lib/flowthread/from-pcap.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { tsharkConversations } from '../../helpers/tshark.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-tshark-'));
const TCP_PORT = 18_990 + Math.floor(Math.random() * 5);
const UDP_PORT = TCP_PORT + 10;
/** One tcpdump per interface, all listening before the traffic starts. */
async function capture(files: Record<string, string>, filter: string, traffic: () => Promise<void>): Promise<void> {
  const dumps: ChildProcess[] = [];
  try {
    for (const [iface, file] of Object.entries(files)) {
      const dump = spawn('tcpdump', ['-i', iface, '--immediate-mode', '-U', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
      dumps.push(dump);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`tcpdump -i ${iface} did not start (is it installed, are we root?)`)), 10_000);
        dump.stderr!.on('data', (d: Buffer) => {
          if (d.toString().includes('listening on')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    }
    await traffic();
    // Let libpcap hand over the last packets before it is told to stop.
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    for (const dump of dumps) {
      dump.kill('SIGINT');
      if (dump.exitCode === null) await new Promise((r) => dump.on('exit', r));
    }
  }
}

/** Frame bytes before the IP header in a capture (tshark counts frames, we count IP bytes). */
function linkHeaderBytes(pcap: string): number {
  const r = spawnSync('tshark', ['-n', '-r', pcap, '-c', '1', '-T', 'fields', '-e', 'frame.len', '-e', 'ip.len'], { encoding: 'utf8' });
  const [frame, ip] = r.stdout.trim().split('\t').map(Number);
  if (!frame || !ip) throw new Error(`tshark could not read ${pcap}: ${r.stderr}`);
  return frame - ip;
}

function editcap(src: string, format: string, dst: string): string {
  const r = spawnSync('editcap', ['-F', format, src, dst], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`editcap -F ${format} failed: ${r.stderr}`);
  return dst;
}

async function tcpTraffic(n: number): Promise<void> {
  const server = net.createServer((s) => {
    s.on('data', (d) => s.write(Buffer.concat([d, d])));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(TCP_PORT, '127.0.0.1', r));
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(TCP_PORT, '127.0.0.1', () => {
        c.write('x'.repeat(100 * (i + 1)));
        setTimeout(() => c.end(), 5);
      });
      c.on('data', () => {});
      c.on('error', reject);
      c.on('close', () => resolve());
    });
  }
  await new Promise((r) => server.close(r));
}

async function udpTraffic(clients: number, messages: number): Promise<void> {
  const server = dgram.createSocket('udp4');
  server.on('message', (m, r) => server.send(m, r.port, r.address));
  await new Promise<void>((r) => server.bind(UDP_PORT, '127.0.0.1', r));
  for (let c = 0; c < clients; c++) {
    const sock = dgram.createSocket('udp4');
    let got = 0;
    const done = new Promise<void>((r) => sock.on('message', () => ++got === messages && r()));
    for (let i = 0; i < messages; i++) sock.send(Buffer.alloc(20 + i * 10, 1), UDP_PORT, '127.0.0.1');
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    sock.close();
  }
  server.close();
}

const captures: Record<string, string> = { lo: join(dir, 'lo.pcap'), any: join(dir, 'any.pcap') };
const flows: Record<string, Flow[]> = {};

async function readFlows(pcap: string): Promise<Flow[]> {
  const out: Flow[] = [];
  // Conversation statistics ignore timeouts: make ours long enough not to split anything.
  await flowsFromPcap(pcap, { sensorId: 't', idleTimeoutS: 3600, activeTimeoutS: 3600 }, (f) => out.push(f));
  return out;
}

before(async () => {
  await capture({ lo: captures.lo!, any: captures.any! }, `tcp port ${TCP_PORT} or udp port ${UDP_PORT}`, async () => {
    await tcpTraffic(25);
    await udpTraffic(6, 8);
  });
  captures.pcapng = editcap(captures.lo!, 'pcapng', join(dir, 'lo.pcapng'));
  captures.nsec = editcap(captures.lo!, 'nsecpcap', join(dir, 'lo-ns.pcap'));
  for (const [name, file] of Object.entries(captures)) flows[name] = await readFlows(file);
});

after(() => undefined);

for (const name of ['lo', 'any'] as const) {
  for (const kind of ['tcp', 'udp'] as const) {
    test(`${name} capture, ${kind}: flows and per-direction packets/bytes equal tshark -z conv,${kind}`, () => {
      const pcap = captures[name]!;
      const linkHeader = linkHeaderBytes(pcap);
      const convs = tsharkConversations(pcap, kind);
      const ours = flows[name]!.filter((f) => f.protocol === (kind === 'tcp' ? 6 : 17));
      // UDP clients may reuse an ephemeral port, and one 5-tuple is one conversation.
      assert.ok(convs.length >= (kind === 'tcp' ? 25 : 1), `tshark saw only ${convs.length} ${kind} conversations`);
      assert.equal(ours.length, convs.length, `flow count: nids ${ours.length}, tshark ${convs.length}`);
      for (const c of convs) {
        const f = ours.find((x) => {
          const a = `${x.src_ip}:${x.src_port}`;
          const b = `${x.dst_ip}:${x.dst_port}`;
          return (a === c.a && b === c.b) || (a === c.b && b === c.a);
        });
        assert.ok(f, `no flow for ${c.a} <-> ${c.b}`);
        const aIsSrc = `${f.src_ip}:${f.src_port}` === c.a;
        const [pktsAtoB, pktsBtoA] = aIsSrc ? [f.packets_fwd, f.packets_rev] : [f.packets_rev, f.packets_fwd];
        const [bytesAtoB, bytesBtoA] = aIsSrc ? [f.bytes_fwd, f.bytes_rev] : [f.bytes_rev, f.bytes_fwd];
        assert.equal(pktsAtoB, c.framesAtoB, `${c.a} -> ${c.b} packets`);
        assert.equal(pktsBtoA, c.framesBtoA, `${c.b} -> ${c.a} packets`);
        if (c.bytesAtoB !== null) assert.equal(bytesAtoB + linkHeader * pktsAtoB, c.bytesAtoB, `${c.a} -> ${c.b} bytes`);
        if (c.bytesBtoA !== null) assert.equal(bytesBtoA + linkHeader * pktsBtoA, c.bytesBtoA, `${c.b} -> ${c.a} bytes`);
      }
    });
  }
}

test('the any-device capture is Linux cooked framing (decoded above like the Ethernet one)', () => {
  assert.ok([16, 20].includes(linkHeaderBytes(captures.any!)), 'SLL (16 bytes) or SLL2 (20 bytes)');
});

test('the same capture as pcapng and as nanosecond pcap gives exactly the same flows', () => {
  assert.ok(flows.lo!.length > 25);
  assert.deepEqual(flows.pcapng, flows.lo);
  assert.deepEqual(flows.nsec, flows.lo);
});

test('read on two threads (--threads 2), every capture gives exactly the same flows', async () => {
  for (const [name, file] of Object.entries(captures)) {
    const two: Flow[] = [];
    await flowsFromPcapInThread(file, { sensorId: 't', idleTimeoutS: 3600, activeTimeoutS: 3600 }, (f) => two.push(f));
    assert.deepEqual(two, flows[name], name);
  }
});

test('tcp flows end with FIN, complete their handshake and carry a Community ID', () => {
  const tcp = flows.lo!.filter((f) => f.protocol === 6);
  for (const f of tcp) {
    assert.equal(f.dst_port, TCP_PORT, 'the initiator is the client');
    assert.equal(f.handshake_complete, true);
    assert.equal(f.end_reason, 'fin');
    assert.equal(f.syn_count, 1);
    assert.equal(f.synack_count, 1);
    assert.match(f.community_id, /^1:[A-Za-z0-9+/]{27}=$/);
    assert.ok(f.payload_bytes_rev === 2 * f.payload_bytes_fwd, 'the echo server doubles what it gets');
  }
});
