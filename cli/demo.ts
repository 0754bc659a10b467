// `nids demo`: the main job on a fresh machine in one command. Simulates a baseline day
// and an attacked one, learns from the first, scores the second in embedded mode, and
// reports what it caught against the simulation's ground truth. It composes `simulate`,
// `analyze` and `eval` through their own settings, so their defaults are the demo's.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, num, str } from '../lib/config/index.ts';
import { ATTACKS } from '../lib/sim/scenario.ts';
import { CSV_FILE } from '../lib/pipeline/csv.ts';
import { analyze, analyzeSpec, summary } from './analyze.ts';
import { evaluate, formatEvaluation } from './eval.ts';
import { simulate, simulateSpec } from './simulate.ts';

const spec = {
  out: str({ flag: 'out', env: 'NIDS_DEMO_OUT', default: 'out/demo', metavar: 'dir', help: 'Where the captures, CSV, plot and anomalies go.' }),
  seed: num({ flag: 'seed', env: 'NIDS_DEMO_SEED', default: 1, integer: true, min: 0, help: 'Seed of the simulated network.' }),
  duration: num({ flag: 'duration', env: 'NIDS_DEMO_DURATION', default: 180, min: 30, max: 3600, help: 'Seconds of traffic in each capture.' }),
  logLevel: analyzeSpec.logLevel,
};

/** The demo's attacks: all but the UDP flood. */
const DEMO_ATTACKS = ATTACKS.filter((a) => a !== 'udpflood');

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
    const say = (s: string) => process.stdout.write(s);
    // The parts are configured by their own defaults only (an empty environment), so an
    // NIDS_* variable meant for another command cannot change the demo.
    const sim = (out: string, seed: number, extra: string[]) => loadConfig(simulateSpec, ['--out', out, '--seed', String(seed), '--duration', String(c.duration), ...extra], {}).config;
    const first = sim(baseline, c.seed, []);
    say(`simulating ${c.duration} s of normal traffic -> ${baseline}\n`);
    await simulate(first);
    say(`simulating ${c.duration} s with ${DEMO_ATTACKS.join(', ')} -> ${input}\n`);
    const second = sim(input, c.seed + 1, ['--attacks', DEMO_ATTACKS.join(',')]);
    second.start = first.start + c.duration * 1e6 + 60e6; // a minute after the baseline ends
    const truth = await simulate(second);
    say('learning from the baseline and scoring the input (embedded mode)\n\n');
    const { config: a } = loadConfig(analyzeSpec, ['--baseline', baseline, '--input', input, '--out', c.out, '--sensor-id', 'demo', '--log-level', c.logLevel], {});
    const result = await analyze(a);
    say(summary(result));
    say('\nagainst the ground truth:\n');
    say(formatEvaluation(evaluate(readFileSync(join(c.out, CSV_FILE), 'utf8'), readFileSync(truth.truthFile, 'utf8'))));
    return 0;
  } catch (err) {
    process.stderr.write(`nids demo: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
