// capture.*: live capture at line rate. Replays a simulated capture with tcpreplay from a
// network namespace into a veth at several rates; on the host end, `nids analyze --iface`
// (capturing and scoring as it goes) and `tcpdump -B 65536 -w /dev/null` take turns, each
// with its own replay of the same packets. Prints, per rate and implementation, packets
// sent and captured and capture.loss_pct, then capture.max_lossless_pps (the highest rate
// that was captured whole). Needs root; the namespace and veth are removed at the end.
// NIDS_BENCH_CAPTURE_PEER=<checkout> adds another nids checkout as a peer (an older capture).
// NIDS_BENCH_CAPTURE_RATES=50000,150000,... overrides the rates; NIDS_BENCH_CAPTURE_SECONDS
// the seconds of traffic per rate (default 4).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { writeSimulatedPcap } from '../lib/sim/pcap.ts';
import { createVethLab } from '../test/helpers/netns.ts';
import { emit, REPO } from './util.ts';

if (process.getuid?.() !== 0) {
  process.stderr.write('bench capture: needs root (a network namespace, a veth, capture)\n');
  process.exit(1);
}
const rates = (process.env.NIDS_BENCH_CAPTURE_RATES ?? '50000,150000,350000,450000,0').split(',').map(Number);
const seconds = Number(process.env.NIDS_BENCH_CAPTURE_SECONDS ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'nids-bench-capture-'));
const baseline = join(dir, 'baseline.pcap');
const traffic = join(dir, 'traffic.pcap');
await writeSimulatedPcap(baseline, { seed: 1, durationS: 60, startMicros: 1.7e15, hosts: 30, flowsPerSecond: 40, attacks: [] });
await writeSimulatedPcap(traffic, { seed: 2, durationS: 120, startMicros: 1.7e15, hosts: 50, flowsPerSecond: 60, attacks: ['portscan', 'synflood', 'dnstunnel'] });
const nids = (repo: string, args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/nids'), ...args], { encoding: 'utf8' });
const model = join(dir, 'model', 'model.nidsm');
const trained = nids(REPO, ['analyze', '--baseline', baseline, '--input', baseline, '--out', join(dir, 'model')]);
if (trained.status !== 0) throw new Error(`training failed: ${trained.stderr}`);

const lab = createVethLab('b');
const cleanup = () => {
  lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(130));

/** Replays `packets` packets at `pps` (0: as fast as tcpreplay goes); returns what it sent and its actual rate. */
function replay(pps: number, packets: number): { sent: number; pps: number } {
  const speed = pps > 0 ? [`--pps=${pps}`] : ['--topspeed'];
  const r = spawnSync('ip', ['netns', 'exec', lab.ns, 'tcpreplay', '-q', '-K', '--loop=1000', `--limit=${packets}`, ...speed, '-i', lab.peerIf, traffic], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  const m = /Actual: (\d+) packets .*?([\d.]+) seconds/.exec(out);
  const rate = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out);
  if (r.status !== 0 || !m) throw new Error(`tcpreplay failed: ${out}`);
  return { sent: Number(m[1]), pps: rate ? Number(rate[1]) : Number(m[1]) / Number(m[2]) };
}

/** Starts a capturer, waits until it says it listens, replays, stops it; returns what it captured and the replay's figures. */
async function measure(cmd: string, args: string[], ready: RegExp, pps: number, packets: number, result: (stderr: string) => number) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const started = Date.now();
  while (!ready.test(err)) {
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`${cmd} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  const sent = replay(pps, packets);
  await new Promise((r) => setTimeout(r, 1000)); // what is still in buffers reaches the capturer
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  await exited;
  return { ...sent, captured: result(err) };
}

type Impl = { name: string; run: (pps: number, packets: number) => ReturnType<typeof measure> };
const analyzeImpl = (name: string, repo: string): Impl => ({
  name,
  run: (pps, packets) => {
    const out = join(dir, `out-${name}`);
    return measure(process.execPath, [join(repo, 'bin/nids'), 'analyze', '--model', model, '--iface', lab.hostIf, '--out', out], /capturing on/, pps, packets, () => {
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { packets_read: number; capture_dropped?: Record<string, number> };
      for (const [reason, n] of Object.entries(run.capture_dropped ?? {})) emit(`capture.dropped.${reason}`, `${name}@${pps || 'top'}`, n, 'packets');
      return run.packets_read;
    });
  },
});
const impls: Impl[] = [
  analyzeImpl('nids', REPO),
  ...(process.env.NIDS_BENCH_CAPTURE_PEER ? [analyzeImpl('nids-peer', process.env.NIDS_BENCH_CAPTURE_PEER)] : []),
  {
    name: 'tcpdump',
    run: (pps, packets) =>
      measure('tcpdump', ['-n', '-i', lab.hostIf, '-B', '65536', '-w', '/dev/null'], /listening on/, pps, packets, (err) => Number(/(\d+) packets captured/.exec(err)?.[1] ?? NaN)),
  },
];

const lossless: Record<string, number> = Object.fromEntries(impls.map((i) => [i.name, 0]));
for (const pps of rates) {
  const packets = Math.max(100_000, (pps || 500_000) * seconds);
  for (const impl of impls) {
    const r = await impl.run(pps, packets);
    const label = `${impl.name}@${pps || 'top'}`;
    emit('capture.sent', label, r.sent, 'packets');
    emit('capture.captured', label, r.captured, 'packets');
    emit('capture.offered_pps', label, r.pps, 'packets/s');
    const loss = (100 * (r.sent - r.captured)) / r.sent;
    emit('capture.loss_pct', label, Math.max(0, loss), '%');
    if (r.captured >= r.sent) lossless[impl.name] = Math.max(lossless[impl.name]!, r.pps);
  }
}
for (const impl of impls) emit('capture.max_lossless_pps', impl.name, lossless[impl.name]!, 'packets/s');
