// Overloading the live capture on purpose: a tiny kernel buffer and ring, a UDP flood from
// a private namespace, and a consumer that cannot keep up (the JavaScript thread held busy,
// or the whole process stopped). Every lost packet must be counted by where it was lost, on
// /metrics and in the run summary, and the flows that were open meanwhile must carry
// capture_loss, while a flow that starts afterwards must not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { liveCaptureSkipReason, UDP_PORT, useVethLab, type VethLab } from '../helpers/netns.ts';
import { startNids, waitFor } from '../helpers/proc.ts';
import { captureFlows } from '../../lib/pipeline/source.ts';
import { CAPTURE_DEFAULTS } from '../../lib/config/stages.ts';
import { Registry } from '../../lib/metrics/index.ts';
import { writeSimulatedPcap } from '../../lib/sim/pcap.ts';
import type { Flow } from '../../lib/flow/record.ts';

const skip = liveCaptureSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'nids-overload-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lab = useVethLab('o', skip);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A UDP flood from the namespace to the host for `seconds` (hping3, bounded by `timeout`). */
function flood(l: VethLab, seconds: number): Promise<unknown> {
  const child = spawn('ip', ['netns', 'exec', l.ns, 'timeout', String(seconds), 'hping3', '--udp', '--flood', '-q', '-d', '64', '-p', '9', l.hostAddr], { stdio: 'ignore' });
  return once(child, 'exit');
}

/** One request from `sock` to the responder, answered. */
async function exchange(l: VethLab, sock: Socket): Promise<void> {
  const reply = once(sock, 'message');
  sock.send(Buffer.alloc(40, 0x63), UDP_PORT, l.peerAddr);
  await Promise.race([reply, sleep(5000).then(() => Promise.reject(new Error('no UDP reply within 5 s')))]);
}

async function udpSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0);
  await once(s, 'listening');
  return s;
}

/** The value of one sample in Prometheus text, or NaN. */
const sample = (text: string, line: string): number => Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('a slowed consumer: drops counted as ring_full and kernel on /metrics; flows open meanwhile flagged, later ones not', { skip, timeout: 60_000 }, async () => {
  const l = lab();
  const registry = new Registry();
  const flows: Flow[] = [];
  const live = captureFlows({ ...CAPTURE_DEFAULTS, iface: l.hostIf, filter: `udp and host ${l.peerAddr}`, bufferMb: 1, ringMb: 1 }, { sensorId: 'it-overload', idleTimeoutS: 60, activeTimeoutS: 300, maxFlows: 100_000, maxSources: 100_000, contextWindowS: 60 }, registry, (f) => flows.push(f));
  const before = await udpSocket();
  const afterwards = await udpSocket();
  let stats;
  try {
    await exchange(l, before); // a flow open before the overload...
    await sleep(200);
    const flooding = flood(l, 3);
    // ...while this thread is held busy for longer than the capture thread waits for room.
    const busyUntil = Date.now() + 3000;
    while (Date.now() < busyUntil);
    await flooding;
    await sleep(1500); // the ring drains
    await exchange(l, before); // ...and still open after it
    await exchange(l, afterwards); // a flow that starts after the loss
    await sleep(300);
  } finally {
    before.close();
    afterwards.close();
    stats = live.stop();
  }
  const { dropped } = stats.capture;
  assert.ok(dropped.kernel > 0, `kernel drops counted: ${JSON.stringify(dropped)}`);
  assert.ok(dropped.ring_full > 0, `ring-full drops counted: ${JSON.stringify(dropped)}`);
  const metrics = await registry.metrics();
  for (const reason of ['ring_full', 'kernel', 'interface'] as const) {
    assert.equal(sample(metrics, `nids_sensor_capture_dropped_total{reason="${reason}"}`), dropped[reason], `${reason} on /metrics:\n${metrics}`);
  }
  assert.equal(sample(metrics, 'nids_sensor_capture_packets_total'), stats.capture.packets);

  const spanning = flows.find((f) => f.dst_port === UDP_PORT && f.packets_fwd === 2);
  assert.ok(spanning, `the flow open across the overload: ${JSON.stringify(flows.filter((f) => f.dst_port === UDP_PORT))}`);
  assert.equal(spanning.capture_loss, true, 'open while packets were lost');
  const later = flows.find((f) => f.dst_port === UDP_PORT && f.packets_fwd === 1);
  assert.ok(later, 'the flow started after the overload');
  assert.equal(later.capture_loss, false, 'started after the last loss');
  const floodFlows = flows.filter((f) => f.dst_port === 9);
  assert.ok(floodFlows.some((f) => f.capture_loss), 'flood flows open during the loss are flagged');
});

test('nids analyze --iface, stopped while a flood arrives: the kernel drops in the summary and run.json, flagged flows counted', { skip, timeout: 120_000 }, async () => {
  const l = lab();
  const baseline = join(dir, 'baseline.pcap');
  await writeSimulatedPcap(baseline, { seed: 5, durationS: 20, startMicros: 1.7e15, hosts: 10, flowsPerSecond: 10, attacks: [] });
  const out = join(dir, 'out');
  const run = startNids(['analyze', '--baseline', baseline, '--iface', l.hostIf, '--filter', `udp and host ${l.peerAddr}`, '--buffer-mb', '1', '--ring-mb', '1', '--out', out]);
  await waitFor('the capture to start', () => (run.output().stderr.includes('capturing on') ? true : undefined), 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; nids analyze said: ${JSON.stringify(run.output())}`);
  });
  // The whole process stopped (capture thread included) while 2 s of flood arrive: the
  // kernel buffer overflows.
  const flooding = flood(l, 2);
  run.child.kill('SIGSTOP');
  await flooding;
  run.child.kill('SIGCONT');
  await sleep(1000);
  run.child.kill('SIGINT');
  const r = await run.exited;
  assert.equal(r.code, 0, r.stderr);
  const m = /live capture dropped (\d+) kernel packets \(([\d.]+) % of those offered\); (\d+) flows marked capture_loss/.exec(r.stdout);
  assert.ok(m, `the summary names the drops:\n${r.stdout}`);
  const recorded = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { capture_dropped: Record<string, number>; capture_loss_flows: number; capture_loss_pct: number };
  assert.equal(recorded.capture_dropped.kernel, Number(m[1]));
  assert.ok(recorded.capture_dropped.kernel > 0);
  assert.equal(recorded.capture_loss_flows, Number(m[3]));
  assert.ok(recorded.capture_loss_flows > 0, 'flood flows open during the loss are flagged');
  assert.match(r.stdout, /warning: the live capture lost [\d.]+ % of the packets/);
});
