// Issue 10: `nids analyze` as a hostile user would run it. Each test reproduces a finding
// (it failed before the fix) and pins the behaviour after it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { writeSimulatedPcap } from '../../../lib/sim/pcap.ts';
import { startNids, type Finished } from '../../helpers/proc.ts';
import { pcapFile } from '../pcap/captures.ts';

const dir = mkdtempSync(join(tmpdir(), 'nids-hostile-'));
const baseline = join(dir, 'baseline.pcap');
const input = join(dir, 'input.pcap');
const START = Date.UTC(2026, 10, 2, 9) * 1000;
const OUTPUTS = ['five_tuple_with_anomaly.csv', 'anomaly_plot.png', 'anomalies.jsonl', 'run.json'];

before(async () => {
  await writeSimulatedPcap(baseline, { seed: 1, durationS: 40, startMicros: START, hosts: 10, flowsPerSecond: 4, attacks: [] });
  await writeSimulatedPcap(input, { seed: 2, durationS: 40, startMicros: START + 100e6, hosts: 10, flowsPerSecond: 4, attacks: ['portscan'] });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function nids(args: string[], timeoutMs = 120_000): Promise<Finished> {
  const p = startNids(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  return r;
}

const snapshot = (out: string) => Object.fromEntries(OUTPUTS.map((f) => [f, createHash('sha256').update(readFileSync(join(out, f))).digest('hex')]));
const noTemporaries = (out: string) => assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
const runJson = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;

/** The input's records, as [offset, caplen] (a classic little-endian pcap). */
function records(bytes: Uint8Array): [number, number][] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [number, number][] = [];
  for (let p = 24; p + 16 <= bytes.length; ) {
    const caplen = dv.getUint32(p + 8, true);
    out.push([p, caplen]);
    p += 16 + caplen;
  }
  return out;
}

test('finding 1: a failed rerun (bad model, bad input, missing input) leaves the previous results as they were', async () => {
  const out = join(dir, 'f1');
  const good = await nids(['analyze', '--baseline', baseline, '--input', input, '--out', out]);
  assert.equal(good.code, 0, good.stderr);
  const before = snapshot(out);
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255));
  for (const args of [
    ['--model', junk, '--input', input],
    ['--baseline', baseline, '--input', junk],
    ['--baseline', baseline, '--input', join(dir, 'missing.pcap')],
  ]) {
    const r = await nids(['analyze', ...args, '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^nids analyze: .+; earlier results in --out left as they were\n$/);
    assert.deepEqual(snapshot(out), before, `outputs unchanged after ${args.join(' ')}`);
    noTemporaries(out);
  }
});

test('finding 2: damage in the middle of the input stops there, scores what came before, exit 3, says where; a cut tail warns', async () => {
  const bytes = new Uint8Array(readFileSync(input));
  const recs = records(bytes);
  const [at] = recs[Math.floor(recs.length / 2)]!;
  const damaged = bytes.slice();
  new DataView(damaged.buffer).setUint32(at + 8, 0, true);
  const path = join(dir, 'damaged.pcap');
  writeFileSync(path, damaged);
  const out = join(dir, 'f2');
  const r = await nids(['analyze', '--baseline', baseline, '--input', path, '--out', out]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, new RegExp(`warning: --input .*damaged: record captured 0 bytes of a \\d+-byte packet at offset ${at}; stopped there, ${Math.floor(recs.length / 2)} packets`));
  assert.match(r.stdout, /PARTIAL RESULT \(damaged input\)/);
  const run = runJson(out);
  assert.deepEqual([run.partial, run.stopped, run.exit_status, run.packets_read], [true, 'damaged input', 3, Math.floor(recs.length / 2)]);
  assert.ok((run.flows as number) > 0);
  // Read by the flow thread: the same exit status, message and result.
  const out2 = join(dir, 'f2threads');
  const r2 = await nids(['analyze', '--baseline', baseline, '--input', path, '--out', out2, '--threads', '2']);
  assert.equal(r2.code, 3, r2.stderr);
  assert.match(r2.stdout, new RegExp(`warning: --input .*damaged: record captured 0 bytes of a \\d+-byte packet at offset ${at}; stopped there`));
  assert.equal(readFileSync(join(out2, 'five_tuple_with_anomaly.csv'), 'utf8'), readFileSync(join(out, 'five_tuple_with_anomaly.csv'), 'utf8'));

  const cut = join(dir, 'cut.pcap');
  const [last] = recs.at(-1)!;
  writeFileSync(cut, bytes.subarray(0, last + 20));
  const rc = await nids(['analyze', '--baseline', baseline, '--input', cut, '--out', join(dir, 'f2cut')]);
  assert.equal(rc.code, 0, rc.stderr);
  assert.match(rc.stdout, new RegExp(`warning: --input .*the last record is cut short at offset ${last}.*; ${recs.length - 1} packets read`));
});

test('finding 3: a capture of a link type nids does not decode is an error naming it; drops are summarized', async () => {
  const wifi = join(dir, 'wifi.pcap');
  writeFileSync(wifi, pcapFile(Array.from({ length: 50 }, (_, i) => ({ ts: BigInt(START + i * 1000), data: new Uint8Array(80).fill(i) })), { linkType: 105 }));
  for (const args of [['--baseline', wifi, '--input', input], ['--baseline', baseline, '--input', wifi]]) {
    const r = await nids(['analyze', ...args, '--out', join(dir, 'f3')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /50 packets, none decodable: link type 105 \(802\.11\) is not decoded/);
  }
  const ok = await nids(['analyze', '--baseline', baseline, '--input', input, '--out', join(dir, 'f3ok')]);
  assert.match(ok.stdout, /^read \d+ packets: \d+ decoded into flows$/m);
});

test('finding 4: SIGTERM in an offline analyze (capture read by the flow thread) stops the reading, writes complete outputs marked partial, exits 143', async () => {
  const out = join(dir, 'f4');
  const first = await nids(['analyze', '--baseline', baseline, '--input', input, '--out', join(dir, 'f4model')]);
  assert.equal(first.code, 0, first.stderr);
  const model = join(dir, 'f4model', 'model.nidsm');
  const staging = (d: string) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.tmp'));
  // Paced at real time, the 40 s input is still being read when the signal comes.
  const p = startNids(['analyze', '--model', model, '--input', input, '--replay-speed', '1', '--out', out, '--threads', '2']);
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
  for (let i = 0; i < 200 && !staging(out); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  p.child.kill('SIGTERM');
  const r = await p.exited;
  clearTimeout(killer);
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stdout, /PARTIAL RESULT \(SIGTERM\)/);
  const run = runJson(out);
  assert.deepEqual([run.partial, run.stopped, run.exit_status], [true, 'SIGTERM', 143]);
  const rows = readFileSync(join(out, 'five_tuple_with_anomaly.csv'), 'utf8').trim().split('\n').length - 1;
  assert.equal(rows, run.flows, 'the CSV holds what the summary says');
  assert.ok(existsSync(join(out, 'anomaly_plot.png')));
  noTemporaries(out);

  // Two signals back to back: whichever way the race goes (the second one exits at once, or the
  // first already finished), nothing is half-written: the earlier results stand, or a complete
  // partial set replaced them.
  const before = snapshot(out);
  const q = startNids(['analyze', '--model', model, '--input', input, '--replay-speed', '1', '--out', out]);
  const killer2 = setTimeout(() => q.child.kill('SIGKILL'), 60_000);
  for (let i = 0; i < 200 && !staging(out); i++) await new Promise((r) => setTimeout(r, 100));
  q.child.kill('SIGINT');
  q.child.kill('SIGINT');
  const r2 = await q.exited;
  clearTimeout(killer2);
  assert.equal(r2.code, 130, r2.stderr);
  noTemporaries(out);
  if (/again: exiting, nothing written/.test(r2.stderr)) assert.deepEqual(snapshot(out), before);
  else {
    const run2 = runJson(out);
    assert.deepEqual([run2.partial, run2.stopped, run2.exit_status], [true, 'SIGINT', 130]);
    assert.equal(readFileSync(join(out, 'five_tuple_with_anomaly.csv'), 'utf8').trim().split('\n').length - 1, run2.flows);
  }
});

test('finding 4: --out under /proc or /sys, or a file, is refused at once', async () => {
  for (const out of ['/proc/1/out', '/sys/nids-out', input]) {
    const r = await nids(['analyze', '--baseline', baseline, '--input', input, '--out', out], 30_000);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /--out .*(under \/(proc|sys)|not a folder)/);
  }
});

test('finding 6: repeated flows: the summary, the CSV, anomalies.jsonl and run.json agree, repeats reported', async () => {
  const bytes = new Uint8Array(readFileSync(input));
  const twice = new Uint8Array(bytes.length * 2 - 24);
  twice.set(bytes);
  twice.set(bytes.subarray(24), bytes.length);
  const path = join(dir, 'twice.pcap');
  writeFileSync(path, twice);
  const out = join(dir, 'f6');
  const r = await nids(['analyze', '--baseline', baseline, '--input', path, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = runJson(out);
  const rows = readFileSync(join(out, 'five_tuple_with_anomaly.csv'), 'utf8').trim().split('\n').length - 1;
  const lines = readFileSync(join(out, 'anomalies.jsonl'), 'utf8').trim().split('\n');
  assert.equal(rows, run.flows);
  assert.equal(lines.length, run.anomalies);
  assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { flow_id: string }).flow_id)).size, lines.length, 'one anomaly line per flow');
  assert.ok((run.repeated_flow_ids as number) > 0);
  assert.match(r.stdout, new RegExp(`scored ${rows} flows: ${lines.length} anomalous .*; ${run.repeated_flow_ids as number} repeated flow ids written once`));
  assert.match(r.stdout, /packets are stamped earlier than the packet before them/);
});

test('finding 8: our own one-line messages and exit codes for folders, pipes, gzip, --baseline beside --model, same file', async () => {
  const gz = join(dir, 'input.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(input)));
  mkdirSync(join(dir, 'adir'), { recursive: true });
  for (const [args, code, message] of [
    [['--baseline', baseline, '--input', join(dir, 'adir')], 1, /--input .*adir: is a folder, not a file/],
    [['--baseline', baseline, '--input', '/dev/stdin'], 1, /--input \/dev\/stdin: is a pipe or a device, not a file/],
    [['--baseline', baseline, '--input', gz], 1, /--input .*input\.pcap\.gz: is a gzip-compressed file; decompress it first/],
    [['--baseline', baseline, '--model', join(dir, 'x.nidsm'), '--input', input], 2, /--baseline and --model: give one/],
  ] as const) {
    const r = await nids(['analyze', ...args, '--out', join(dir, 'f8')], 30_000);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const same = await nids(['analyze', '--baseline', input, '--input', input, '--out', join(dir, 'f8same')]);
  assert.match(same.stdout, /warning: --baseline and --input are the same file/);
});

test('finding 5: nids eval counts recall over the truth file, missing flows as missed; refuses what is not a CSV or truth; warns on no match', async () => {
  const bytes = new Uint8Array(readFileSync(input));
  const recs = records(bytes);
  const truthFile = `${input}.truth.jsonl`;
  const truthFlows = readFileSync(truthFile, 'utf8').trim().split('\n').length;
  // The first third of the capture: the scan is only partly in it.
  const [cutAt] = recs[Math.floor(recs.length / 3)]!;
  const cut = join(dir, 'third.pcap');
  writeFileSync(cut, bytes.subarray(0, cutAt));
  const out = join(dir, 'f5');
  assert.equal((await nids(['analyze', '--baseline', baseline, '--input', cut, '--out', out])).code, 0);
  const csv = join(out, 'five_tuple_with_anomaly.csv');
  const r = await nids(['eval', '--csv', csv, '--truth', truthFile]);
  assert.equal(r.code, 0, r.stderr);
  const m = /attack flows caught: (\d+)\/(\d+) \(recall ([\d.]+)%\); (\d+) not in the CSV, counted as missed/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[2]), truthFlows, 'recall is over every attack flow of the truth file');
  assert.ok(Number(m[4]) > 0 && Number(m[3]) < 100, r.stdout);
  assert.match(r.stdout, /warning: the truth covers .* attack flows outside the CSV's span count as missed/);

  const junk = join(dir, 'junk.csv');
  writeFileSync(junk, Uint8Array.from({ length: 2048 }, (_, i) => (i * 31) & 255));
  const bad = await nids(['eval', '--csv', junk, '--truth', truthFile]);
  assert.deepEqual([bad.code, /--csv: not a five_tuple_with_anomaly\.csv/.test(bad.stderr)], [1, true], bad.stderr);
  const badTruth = await nids(['eval', '--csv', csv, '--truth', csv]);
  assert.deepEqual([badTruth.code, /--truth: line 1 is not JSON/.test(badTruth.stderr)], [1, true], badTruth.stderr);
  const other = join(dir, 'other.truth.jsonl');
  writeFileSync(other, JSON.stringify({ attack: 'portscan', src_ip: '192.0.2.1', dst_ip: '192.0.2.2', src_port: 1, dst_port: 2, protocol: 6, ts: START }) + '\n');
  const none = await nids(['eval', '--csv', csv, '--truth', other]);
  assert.match(none.stdout, /warning: the truth file's 1 attack flows match no row of the CSV/);
  const dirArg = await nids(['eval', '--csv', dir, '--truth', truthFile]);
  assert.deepEqual([dirArg.code, /--csv .*: is a folder, not a file/.test(dirArg.stderr)], [1, true], dirArg.stderr);
});

test('finding 8: nids sensor checks its input before contacting the registry, and says in one line, without a stack, that it cannot connect', async () => {
  const env = ['--registry', 'http://127.0.0.1:9', '--brokers', '127.0.0.1:9'];
  const t0 = performance.now();
  const missing = await nids(['sensor', '--input', join(dir, 'missing.pcap'), ...env], 30_000);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /nids sensor failed: --input .*missing\.pcap: no such file or directory/);
  assert.doesNotMatch(missing.stderr, /ECONNREFUSED|registry/i, 'the registry was not contacted');
  assert.ok(performance.now() - t0 < 20_000);
  const refused = await nids(['sensor', '--input', input, ...env], 60_000);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /nids sensor failed: schema registry http:\/\/127\.0\.0\.1:9\/?: cannot register nids\.flows\.v1-value \(connect ECONNREFUSED/);
  assert.doesNotMatch(refused.stderr, /"stack"|\n\s+at /, 'no stack trace');
});
