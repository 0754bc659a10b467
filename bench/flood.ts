// flood.pps, flood.peak_rss_mb: `nids analyze` (the embedded pipeline, all outputs) over a
// SYN flood from N spoofed sources, one SYN each (every packet a new flow and a new source,
// the worst case for per-source state), beside the same run over the plain pipeline-bench
// capture for scale. The analysis runs in a child process so its peak RSS (VmHWM) is its own,
// not the generator's. N: FLOOD_SOURCES (default 2,000,000).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPcapWriter } from '../lib/pcap/writer.ts';
import { ethernet, ipv4, tcp } from '../lib/sim/frames.ts';
import { writeSimulatedPcap } from '../lib/sim/pcap.ts';
import { TcpFlag } from '../lib/packet/decode.ts';
import { emit, REPO } from './util.ts';

const SOURCES = Number(process.env.FLOOD_SOURCES ?? 2_000_000);

/** `n` SYNs to 10.0.0.5:80, each from its own source (100.64.0.0/10 counted up), 2 µs apart. */
export async function writeSynFlood(path: string, n: number, startMicros: number): Promise<void> {
  const frame = ethernet(ipv4([100, 64, 0, 0], [10, 0, 0, 5], 6, tcp(40000, 80, TcpFlag.SYN, 0, 1)));
  const SRC = 14 + 12; // the IPv4 source address; the decoder does not check header checksums
  const w = createPcapWriter(path);
  for (let i = 0; i < n; i++) {
    const a = 0x64400000 + i;
    frame[SRC] = a >>> 24;
    frame[SRC + 1] = (a >>> 16) & 255;
    frame[SRC + 2] = (a >>> 8) & 255;
    frame[SRC + 3] = a & 255;
    w.write(startMicros + 2 * i, frame);
  }
  await w.close();
}

function readHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** In the child: one `analyze` run; prints {packets, seconds, peakRssMb}. */
async function child(baseline: string, input: string, out: string): Promise<void> {
  const { analyze } = await import('../cli/analyze.ts');
  const { analyzeSpec } = await import('../cli/analyze.ts');
  const { loadConfig } = await import('../lib/config/index.ts');
  const { config } = loadConfig(analyzeSpec, ['--baseline', baseline, '--input', input, '--out', out], {});
  const t = performance.now();
  const cpu = process.cpuUsage();
  const r = await analyze(config);
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ packets: r.packets, flows: r.flows, seconds, cpuUs: used.user + used.system, peakRssMb: readHwmMb() }) + '\n');
}

type Measured = { packets: number; flows: number; seconds: number; cpuUs: number; peakRssMb: number };

function measure(baseline: string, input: string, out: string): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/flood.ts', 'child', baseline, input, out], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  if (r.status !== 0) throw new Error(`flood child failed (status ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nids-bench-flood-'));
  try {
    const baseline = join(dir, 'baseline.pcap');
    const office = join(dir, 'office.pcap');
    const flood = join(dir, 'flood.pcap');
    await writeSimulatedPcap(baseline, { seed: 1, durationS: 600, startMicros: 1.7e15, hosts: 50, flowsPerSecond: 40, attacks: [] });
    await writeSimulatedPcap(office, { seed: 2, durationS: 600, startMicros: 1.7e15 + 700e6, hosts: 50, flowsPerSecond: 40, attacks: ['portscan', 'synflood', 'dnstunnel', 'external', 'udpflood'] });
    await writeSynFlood(flood, SOURCES, 1.7e15 + 700e6);
    const f = measure(baseline, flood, join(dir, 'out-flood'));
    if (f.flows !== SOURCES) throw new Error(`flood: expected ${SOURCES} flows, analyze wrote ${f.flows}`);
    emit('flood.pps', 'nids-embedded', f.packets / f.seconds, 'packets/s');
    emit('flood.peak_rss_mb', 'nids-embedded', f.peakRssMb, 'MiB');
    // CPU time (user + system, all threads) per flow: what the machine's load distorts least.
    emit('flood.cpu_us_per_flow', 'nids-embedded', f.cpuUs / f.flows, 'µs');
    const o = measure(baseline, office, join(dir, 'out-office'));
    emit('flood.pps', 'nids-embedded-office-capture', o.packets / o.seconds, 'packets/s');
    emit('flood.peak_rss_mb', 'nids-embedded-office-capture', o.peakRssMb, 'MiB');
    emit('flood.cpu_us_per_flow', 'nids-embedded-office-capture', o.cpuUs / o.flows, 'µs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  else await main();
}
