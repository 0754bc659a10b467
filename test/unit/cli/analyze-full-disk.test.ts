// Issue 10, finding 1's last case: a disk that fills up while `nids analyze` writes. On a
// real, deliberately tiny file system (a tmpfs this test mounts), the run must fail with one
// line naming the file and the cause, leave the previous results byte for byte as they were,
// and leave no temporary file behind. Needs root for the mount, as the live-capture tests do.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeSimulatedPcap } from '../../../lib/sim/pcap.ts';
import { startNids } from '../../helpers/proc.ts';
import { EXIT } from '../../../cli/exit.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-full-disk-'));
const disk = join(dir, 'disk');
const out = join(disk, 'out');
const baseline = join(dir, 'baseline.pcap');
const small = join(dir, 'small.pcap');
const large = join(dir, 'large.pcap');
const START = Date.UTC(2026, 10, 2, 9) * 1000;
let mounted = false;

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs: run the tests as root');
  mkdirSync(disk);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'nids-full-disk', disk], { encoding: 'utf8' });
  assert.equal(m.status, 0, `mount tmpfs: ${m.stderr}`);
  mounted = true;
  await writeSimulatedPcap(baseline, { seed: 1, durationS: 40, startMicros: START, hosts: 10, flowsPerSecond: 4, attacks: [] });
  await writeSimulatedPcap(small, { seed: 2, durationS: 20, startMicros: START + 100e6, hosts: 10, flowsPerSecond: 4, attacks: ['portscan'] });
  // Enough flows that the CSV alone outgrows what is left on the tmpfs.
  await writeSimulatedPcap(large, { seed: 3, durationS: 120, startMicros: START + 100e6, hosts: 40, flowsPerSecond: 200, attacks: ['portscan'] });
});
after(() => {
  if (mounted) spawnSync('umount', [disk]);
  rmSync(dir, { recursive: true, force: true });
});

const digest = (folder: string) =>
  Object.fromEntries(readdirSync(folder).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(folder, f))).digest('hex')]));

test('a disk that fills up during the write: one line naming the cause, earlier results intact, no temporaries', { timeout: 300_000 }, async () => {
  const good = await startNids(['analyze', '--baseline', baseline, '--input', small, '--out', out]).exited;
  assert.equal(good.code, 0, good.stderr);
  const earlier = digest(out);
  assert.ok(Object.keys(earlier).includes('five_tuple_with_anomaly.csv'), `outputs: ${Object.keys(earlier).join(', ')}`);

  // Leave about 200 KiB free: less than the large run's CSV needs.
  const fs = statfsSync(disk);
  const free = fs.bavail * fs.bsize;
  writeFileSync(join(disk, 'filler'), new Uint8Array(Math.max(0, free - 200 * 1024)));

  const r = await startNids(['analyze', '--baseline', baseline, '--input', large, '--out', out]).exited;
  assert.equal(r.code, EXIT.FAILED, r.stderr);
  assert.match(r.stderr, /^nids analyze: .*no space left on the device.*\n$/, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(digest(out), earlier, 'the earlier results are byte for byte as they were');
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
});
