// `nids demo`: the main job on a fresh machine in one command. Simulates a baseline day
// and an attacked one, learns from the first, scores the second in embedded mode, and
// reports what it caught against the simulation's ground truth.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError, helpText, loadConfig, num, str } from '../lib/config/index.ts';
import { writeSimulatedPcap } from '../services/simulator/pcap.ts';
import { ATTACKS } from '../services/simulator/scenario.ts';
import { analyze, analyzeSpec, summary } from './analyze.ts';
import { evaluate, formatEvaluation } from './eval.ts';
import { DEFAULT_START, parseStart } from './simulate.ts';
import { CSV_FILE } from '../services/sink/csv.ts';

const spec = {
  out: str({ flag: 'out', default: 'out/demo', metavar: 'dir', help: 'Where the captures, CSV, plot and anomalies go.' }),
  seed: num({ flag: 'seed', default: 1, integer: true, min: 0, help: 'Seed of the simulated network.' }),
  duration: num({ flag: 'duration', default: 180, min: 30, max: 3600, help: 'Seconds of traffic in each capture.' }),
};

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText('Usage: nids demo [--out out/demo]', 'Simulates a small office network (a clean baseline, then a capture with a port scan, SYN flood, DNS tunneling and odd external access), analyzes it in embedded mode and reports detection against the ground truth.', spec));
    return 0;
  }
  try {
    const { config: c } = loadConfig(spec, argv);
    mkdirSync(c.out, { recursive: true });
    const baseline = join(c.out, 'baseline.pcap');
    const input = join(c.out, 'input.pcap');
    const start = parseStart(DEFAULT_START);
    const say = (s: string) => process.stdout.write(s);
    say(`simulating ${c.duration} s of normal traffic -> ${baseline}\n`);
    await writeSimulatedPcap(baseline, { seed: c.seed, durationS: c.duration, startMicros: start, hosts: 20, flowsPerSecond: 6, attacks: [] });
    const attacks = ATTACKS.filter((a) => a !== 'udpflood');
    say(`simulating ${c.duration} s with ${attacks.join(', ')} -> ${input}\n`);
    const sim = await writeSimulatedPcap(input, { seed: c.seed + 1, durationS: c.duration, startMicros: start + c.duration * 1e6 + 60e6, hosts: 20, flowsPerSecond: 6, attacks });
    say('learning from the baseline and scoring the input (embedded mode)\n\n');
    const { config: a } = loadConfig(analyzeSpec, ['--baseline', baseline, '--input', input, '--out', c.out, '--sensor-id', 'demo']);
    const result = await analyze(a);
    say(summary(result));
    say('\nagainst the ground truth:\n');
    say(formatEvaluation(evaluate(readFileSync(join(c.out, CSV_FILE), 'utf8'), readFileSync(sim.truthFile, 'utf8'))));
    return 0;
  } catch (err) {
    process.stderr.write(`nids demo: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
