// `npm run lab` (long) and `npm run lab -- --short` (the CI version, < 5 min): real tools in
// network namespaces on a bridge. Benign hosts (clients, a monitoring poller, a busy
// resolver, a backup job) run throughout; tcpdump on the bridge writes baseline.pcap while
// only they run, then attacked.pcap while Debian's attack tools run one episode at a time,
// each written to labels.jsonl (episode, attack, attacker, victim, start, end). Then
// `nids analyze` (nids and the seed's featurizer) and `nids eval --labels` write report.json
// and report.md. Needs root. Everything the lab creates is removed at the end, also on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { createTopology, EXTERNAL_NET, type Topology } from './topology.ts';
import { startServer } from './server.ts';
import { attackPlan, type Episode, type LabScale, LAB_SCALES } from './episodes.ts';

const REPO = resolve(import.meta.dirname, '../..');
const HELP = `Usage: npm run lab -- [--short | --simulator] [--out <dir>]

Builds the real-tools lab (needs root, nmap, masscan, hping3, hydra, medusa, slowhttptest,
dnsmasq, openssh-server, tcpdump, dig: scripts/install.sh), captures a baseline and an attacked pcap with a labels file, runs
nids analyze (nids and the seed featurizer) and nids eval, and writes report.json and
report.md into --out (default out/lab). --short is the CI version (about 5 minutes).
--simulator makes the same report for nids simulate's captures instead (180 s each, every
attack; needs no root).
`;

interface Options { short: boolean; simulator: boolean; out: string }

function parseArgs(argv: string[]): Options {
  const o: Options = { short: false, simulator: false, out: resolve(REPO, 'out/lab') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === '--short') o.short = true;
    else if (a === '--simulator') o.simulator = true;
    else if (a === '--out' && argv[i + 1]) o.out = resolve(argv[++i]!);
    else {
      process.stderr.write(`lab: unknown option ${a} (see --help)\n`);
      process.exit(2);
    }
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Children the lab started, killed by pid at the end (process group leaders with their group). */
const children: ChildProcess[] = [];
const groupLeaders = new Set<ChildProcess>();

function inNs(ns: string, cmd: string, args: string[], opts: { cwd?: string; quiet?: boolean } = {}): ChildProcess {
  // Its own process group: a tool's helpers (hydra's tasks, a client's ssh) die with it.
  const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groupLeaders.add(c);
  c.stdout!.resume();
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  c.on('exit', (code) => {
    if (code && !opts.quiet) process.stderr.write(`lab: ${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.trim().split('\n').pop()}\n`);
  });
  children.push(c);
  return c;
}

const agent = (ns: string, args: string[]) => inNs(ns, process.execPath, ['--import', 'tsx', resolve(REPO, 'scripts/lab/agent.ts'), ...args]);

function killGroup(c: ChildProcess): void {
  try {
    if (c.pid) process.kill(groupLeaders.has(c) ? -c.pid : c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function finished(c: ChildProcess, timeoutMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const timer = setTimeout(() => killGroup(c), timeoutMs);
  await once(c, 'exit');
  clearTimeout(timer);
}

async function tcpdump(iface: string, file: string): Promise<ChildProcess> {
  const c = spawn('tcpdump', ['-n', '-i', iface, '-s', '512', '-U', '-w', file, 'ip'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(c);
  let err = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`tcpdump did not start: ${err}`)), 15_000);
    c.on('error', (e) => fail(new Error(`tcpdump: ${e.message} (scripts/install.sh installs it)`)));
    c.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  return c;
}

async function stopCapture(c: ChildProcess): Promise<void> {
  await sleep(1500); // the last replies of what just ran
  c.kill('SIGINT');
  await finished(c, 10_000);
}

async function runEpisode(topo: Topology, e: Episode, labels: string, cwd: string): Promise<void> {
  const attacker = topo.hosts[e.from]!;
  const start = Date.now();
  const [cmd, ...args] = e.command;
  const c = cmd === 'agent' ? agent(attacker.ns, args) : inNs(attacker.ns, cmd!, args, { cwd, quiet: true });
  if (!e.background) await finished(c, e.timeoutS * 1000);
  const record = async () => {
    if (e.background) await finished(c, e.timeoutS * 1000);
    await sleep(1000);
    appendFileSync(labels, JSON.stringify({ episode: e.episode, attack: e.attack, attacker: attacker.addr, victim: e.victim, start: new Date(start).toISOString(), end: new Date(Date.now()).toISOString(), tool: e.command.join(' '), ...(e.spoofedOutside ? { spoofed_outside: e.spoofedOutside } : {}) }) + '\n');
    process.stdout.write(`lab: ${e.episode} done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  };
  if (e.background) backgroundEpisodes.push(record());
  else await record();
}
const backgroundEpisodes: Promise<void>[] = [];

function nids(args: string[]): void {
  const r = spawnSync(process.execPath, [resolve(REPO, 'bin/nids'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NIDS_LOG_LEVEL: 'warn' } });
  if (r.status !== 0) throw new Error(`nids ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  process.stdout.write(r.stdout);
}

async function capture(o: Options, scale: LabScale): Promise<void> {
  // The attackers' addresses sit among the benign ones: a method that judges raw addresses
  // (the seed's) would otherwise catch them only for being the highest on the wire.
  const roles = ['server', 'client1', 'attacker', 'client2', 'monitor', 'implant', 'client3', 'resolver', 'backup', 'external'];
  const topo = createTopology(roles);
  const h = topo.hosts;
  const keydir = resolve(o.out, 'keys');
  try {
    await startServer(h.server!, keydir, inNs, agent);
    await startServer(h.external!, null, inNs, agent);
    const benignS = scale.baselineS + scale.attackBudgetS;
    agent(h.client1!.ns, ['client', h.server!.addr, String(benignS), '1', keydir]);
    agent(h.client2!.ns, ['client', h.server!.addr, String(benignS), '2', keydir]);
    agent(h.client3!.ns, ['client', h.server!.addr, String(benignS), '3', keydir]);
    const everyone = roles.filter((r) => r !== 'monitor' && r !== 'external').map((r) => h[r]!.addr).join(',');
    agent(h.monitor!.ns, ['monitor', String(benignS), everyone]);
    agent(h.resolver!.ns, ['resolver', h.server!.addr, String(benignS)]);
    agent(h.backup!.ns, ['backup', h.server!.addr, String(benignS), String(scale.backupBytes)]);

    process.stdout.write(`lab: baseline for ${scale.baselineS} s\n`);
    const base = await tcpdump(topo.bridge, resolve(o.out, 'baseline.pcap'));
    await sleep(scale.baselineS * 1000);
    await stopCapture(base);

    const labels = resolve(o.out, 'labels.jsonl');
    writeFileSync(labels, '');
    const attacked = await tcpdump(topo.bridge, resolve(o.out, 'attacked.pcap'));
    const t0 = Date.now();
    for (const e of attackPlan(scale, h, topo.internalCidr, `${EXTERNAL_NET}.0/24`)) {
      await runEpisode(topo, e, labels, o.out);
      await sleep(scale.gapS * 1000);
    }
    await Promise.all(backgroundEpisodes);
    // Benign traffic goes on after the attacks, as it would.
    await sleep(Math.max(scale.gapS * 1000, 0));
    await stopCapture(attacked);
    process.stdout.write(`lab: attacks took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  } finally {
    for (const c of children) killGroup(c);
    await Promise.all(children.map((c) => finished(c, 5000)));
    topo.remove();
  }
}

/** The simulator's counterpart of the lab's captures, with its per-flow truth as ground truth. */
function simulateCaptures(o: Options): string[] {
  const f = (n: string) => resolve(o.out, n);
  nids(['simulate', '--out', f('baseline.pcap'), '--seed', '1', '--duration', '180']);
  nids(['simulate', '--out', f('attacked.pcap'), '--seed', '2', '--duration', '180', '--attacks', 'portscan,synflood,dnstunnel,external,udpflood']);
  return ['--truth', f('attacked.pcap.truth.jsonl')];
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.simulator && o.out === resolve(REPO, 'out/lab')) o.out = resolve(REPO, 'out/lab-sim');
  if (!o.simulator && process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, raw sockets, tcpdump)');
  rmSync(o.out, { recursive: true, force: true });
  mkdirSync(o.out, { recursive: true });
  const f = (n: string) => resolve(o.out, n);
  let truth = ['--labels', f('labels.jsonl')];
  if (o.simulator) truth = simulateCaptures(o);
  else await capture(o, LAB_SCALES[o.short ? 'short' : 'long']);
  nids(['analyze', '--baseline', f('baseline.pcap'), '--input', f('attacked.pcap'), '--out', f('nids')]);
  nids(['analyze', '--baseline', f('baseline.pcap'), '--input', f('attacked.pcap'), '--out', f('seed'), '--featurizer', 'seed']);
  nids(['eval', ...truth, '--csv', f('nids/five_tuple_with_anomaly.csv'), '--incidents', f('nids/incidents.jsonl'),
    '--seed-csv', f('seed/five_tuple_with_anomaly.csv'), '--seed-incidents', f('seed/incidents.jsonl'), '--json', f('report.json'), '--markdown', f('report.md')]);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    for (const c of children) killGroup(c);
  });
}

// Exits explicitly: a tool's orphaned helper must not keep the lab (and CI) waiting.
main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`lab: ${err.message}\n`);
  process.exit(1);
});
