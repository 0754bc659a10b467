// Progress of `nids simulate` and `nids analyze`: a cli-progress bar on stderr with
// packets/s and an ETA on a terminal (a real pseudo-terminal from util-linux `script`);
// otherwise nothing on stderr (it keeps to errors) and one summary line per capture in the
// report on stdout.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNids } from '../../helpers/proc.ts';
import { REPO } from '../../helpers/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-progress-'));
const pcap = join(dir, 'x.pcap');
const SIM = ['simulate', '--out', pcap, '--duration', '20', '--attacks', 'portscan'];

/** Runs nids under a pseudo-terminal: stderr (and stdout) are a TTY; returns what the terminal got. */
function onTerminal(args: string[]): { code: number | null; screen: string } {
  const cmd = [process.execPath, `${REPO}bin/nids`, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TERM: 'xterm' } });
  return { code: r.status, screen: r.stdout };
}

let packets = 0;
before(async () => {
  const r = await startNids(SIM).exited;
  assert.equal(r.code, 0, r.stderr);
  packets = Number(/: (\d+) packets/.exec(r.stdout)?.[1]);
  assert.ok(packets > 1000);
  // Not a terminal: stderr stays empty; the report's last line says how fast.
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /\nsimulate .+x\.pcap: [\d,]+ packets in [\d.]+ s \([\d,]+ pkt\/s\)\n$/);
  assert.equal(Number(/: ([\d,]+) packets in/.exec(r.stdout)![1]!.replace(/,/g, '')), packets);
});

test('nids analyze without a terminal: one summary line per capture read in the report, no bar', async () => {
  const r = await startNids(['analyze', '--baseline', pcap, '--input', pcap, '--out', join(dir, 'plain')]).exited;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const counts = lines.filter((l) => /^(baseline|input) .+: [\d,]+ packets in [\d.]+ s \([\d,]+ pkt\/s\)$/.test(l)).map((l) => Number(/: ([\d,]+) packets/.exec(l)![1]!.replace(/,/g, '')));
  assert.deepEqual(counts, [packets, packets], r.stderr);
  assert.doesNotMatch(r.stderr, /\r|ETA|pkt\/s/, 'no bar drawn off a terminal');
  assert.match(r.stdout, new RegExp(`read ${packets} packets`));
});

test('nids simulate on a terminal: a progress bar with packets/s and an ETA, ending at 100 %', () => {
  const { code, screen } = onTerminal(SIM);
  assert.equal(code, 0, screen);
  assert.match(screen, /simulate .+x\.pcap \[[\u2588\u2591]+\] \d+% \| [\d,]+ packets \| [\d,]+ pkt\/s \| ETA/);
  assert.match(screen, new RegExp(`100% \\| ${packets.toLocaleString('en-US')} packets`));
  assert.match(screen, /packets in [\d.]+ s \([\d,]+ pkt\/s\)/, 'the report still ends with the rate');
});

test('nids analyze on a terminal: bars for the baseline and the input', () => {
  const { code, screen } = onTerminal(['analyze', '--baseline', pcap, '--input', pcap, '--out', join(dir, 'tty')]);
  assert.equal(code, 0, screen);
  for (const label of ['baseline', 'input']) assert.match(screen, new RegExp(`${label} .+x\\.pcap \\[[\\u2588\\u2591]+\\] 100% \\| ${packets.toLocaleString('en-US')} packets \\| [\\d,]+ pkt/s \\| ETA`), screen);
});
