// `nids simulate`: a pcap of benign office traffic plus selected attacks, and its truth
// (lib/sim/).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, helpText, isoTime, loadConfig, num, str, subsetOf, type ConfigOf } from '../lib/config/index.ts';
import { ATTACKS } from '../lib/sim/scenario.ts';
import { writeSimulatedPcap, type SimulationResult } from '../lib/sim/pcap.ts';
import { Progress } from '../lib/progress/index.ts';

export const simulateSpec = {
  out: str({ flag: 'out', env: 'NIDS_SIMULATE_OUT', metavar: 'pcap', help: 'pcap file to write (the truth goes to <pcap>.truth.jsonl).' }),
  seed: num({ flag: 'seed', env: 'NIDS_SIMULATE_SEED', default: 1, integer: true, min: 0, help: 'Random seed: the same seed writes the same bytes.' }),
  duration: num({ flag: 'duration', env: 'NIDS_SIMULATE_DURATION', default: 120, min: 5, max: 86400, help: 'Seconds of traffic.' }),
  start: isoTime({ flag: 'start', env: 'NIDS_SIMULATE_START', default: '2026-11-02T09:00:00Z', help: 'Timestamp of the first packet.' }),
  hosts: num({ flag: 'hosts', env: 'NIDS_SIMULATE_HOSTS', default: 20, integer: true, min: 1, max: 200, help: 'Internal hosts (10.0.0.10 and up).' }),
  rate: num({ flag: 'rate', env: 'NIDS_SIMULATE_RATE', default: 6, min: 0.1, max: 5000, help: 'Benign flows per second.' }),
  attacks: subsetOf(ATTACKS, { flag: 'attacks', env: 'NIDS_SIMULATE_ATTACKS', help: 'Attacks to inject (none: benign only).' }),
};

export type SimulateConfig = ConfigOf<typeof simulateSpec>;

/** @param progress a bar of the packets written (on a terminal); none for library callers. */
export async function simulate(c: SimulateConfig, progress?: Progress): Promise<SimulationResult> {
  mkdirSync(dirname(c.out), { recursive: true }); // `--out data/x.pcap` on a fresh clone
  const onProgress = progress ? (p: { packets: number; done: number; total: number }) => progress.update(p) : undefined;
  const r = await writeSimulatedPcap(c.out, { seed: c.seed, durationS: c.duration, startMicros: c.start, hosts: c.hosts, flowsPerSecond: c.rate, attacks: c.attacks }, onProgress);
  progress?.finish();
  return r;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText('Usage: nids simulate --out <pcap> [--seed N] [--duration S] [--attacks portscan,synflood,...]', 'Writes a pcap of a small office network: web, DNS, NTP and SSH traffic, plus the attacks asked for, and the ground truth of every attack flow. ' +
          'A progress bar (packets/s, ETA) shows on a terminal; the report ends with the packets written per second.', simulateSpec));
    return 0;
  }
  try {
    const { config: c } = loadConfig(simulateSpec, argv);
    const progress = new Progress(`simulate ${c.out}`);
    const r = await simulate(c, progress);
    process.stdout.write(`wrote ${c.out}: ${r.packets} packets, ~${r.benignFlows} benign flows, ${r.attackFlows} attack flows (truth: ${r.truthFile})\n${progress.finish()}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`nids simulate: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
