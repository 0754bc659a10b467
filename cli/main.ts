// The one `nids` command: a subcommand per service plus the tools around them. Each
// subcommand module is loaded only when used, so `nids --help` starts instantly.

interface Command {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
  /** The command's --help from a module without its implementation, for commands whose implementation takes long to load. */
  help?: () => Promise<string>;
}

const COMMANDS: Record<string, Command> = {
  demo: { summary: 'Simulate a small network with attacks and analyze it end to end (no services needed).', load: () => import('./demo.ts') },
  analyze: { summary: 'Embedded mode: learn from a baseline pcap, score an input pcap, write CSV + plot.', load: () => import('./analyze.ts'), help: async () => (await import('./analyze-spec.ts')).analyzeHelp() },
  simulate: { summary: 'Write a pcap of benign traffic and selected attacks, with a ground-truth file.', load: () => import('./simulate.ts') },
  eval: { summary: 'Score a labeled CSV against a simulation\'s ground truth (recall, false alarms).', load: () => import('./eval.ts') },
  sensor: { summary: 'Service: packets -> flows -> Kafka (nids.flows.v1).', load: () => import('../services/sensor/main.ts') },
  trainer: { summary: 'Service: every 15 min, baseline window from Kafka -> Isolation Forest -> promotion guard -> Redis (active model).', load: () => import('../services/trainer/main.ts') },
  scorer: { summary: 'Service: flows -> scores with the active model -> nids.scored.v1 + nids.anomalies.v1.', load: () => import('../services/scorer/main.ts') },
  sink: { summary: 'Service: scored flows -> five_tuple_with_anomaly.csv + anomaly_plot.png.', load: () => import('../services/sink/main.ts') },
  registry: { summary: 'Service: Confluent-compatible schema registry over the compacted _schemas topic.', load: () => import('../services/registry/main.ts') },
  model: { summary: 'Manage the models in Redis: list, show, promote, rollback, diff, prune, export, import.', load: () => import('./model.ts') },
  baseline: { summary: 'Mark time ranges known-clean or excluded for the continuous trainer (Redis).', load: () => import('./baseline.ts') },
  stack: { summary: 'Start, stop or check the local Kafka + schema registry + Redis (scripts/stack.sh).', load: () => import('./stack.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'nids: behavioral network intrusion detection (flows + Isolation Forest).',
    '',
    'Usage: nids <command> [options]      nids <command> --help for its options',
    '',
    'Commands:',
    ...rows,
    '',
    'Quick start: nids demo',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`nids: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (command.help && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(await command.help());
    return 0;
  }
  const mod = await command.load();
  return mod.run(rest);
}
