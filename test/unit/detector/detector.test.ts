import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector } from '../../../lib/detector/index.ts';
import { ParameterError } from '../../../lib/iforest/forest.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { makeFlow } from '../../helpers/flows.ts';

function baseline(n: number): Flow[] {
  const out: Flow[] = [];
  let s = 7;
  const r = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  for (let i = 0; i < n; i++) {
    const web = r() < 0.7;
    out.push(makeFlow({
      flow_id: `b${i}`,
      src_ip: `10.0.0.${1 + Math.floor(r() * 20)}`,
      dst_ip: web ? `93.184.216.${Math.floor(r() * 4)}` : '10.0.0.53',
      src_port: 32768 + Math.floor(r() * 28000),
      dst_port: web ? 443 : 53,
      protocol: web ? 6 : 17,
      packets_fwd: web ? 8 + Math.floor(r() * 10) : 1,
      packets_rev: web ? 10 + Math.floor(r() * 20) : 1,
      bytes_fwd: web ? 800 + Math.floor(r() * 2000) : 70,
      bytes_rev: web ? 5000 + Math.floor(r() * 50000) : 120,
      handshake_complete: web,
      syn_count: web ? 1 : 0,
      synack_count: web ? 1 : 0,
      fin_count: web ? 2 : 0,
      dns_qtype: web ? -1 : 1,
      dns_qname: web ? null : 'www.example.com',
      dns_qname_len: web ? 0 : 15,
      dns_label_count: web ? 0 : 3,
      dns_qname_entropy: web ? 0 : 3.1,
      ctx_src_distinct_dst_ports: 1 + Math.floor(r() * 3),
      ctx_src_distinct_dst_hosts: 1 + Math.floor(r() * 4),
      ctx_src_flows_per_s: r() * 0.5,
    }));
  }
  return out;
}

const scan = makeFlow({
  flow_id: 'scan', src_ip: '10.0.0.66', dst_ip: '10.0.0.20', dst_port: 8081, packets_fwd: 1, packets_rev: 1, bytes_fwd: 44, bytes_rev: 40,
  syn_count: 1, synack_count: 0, rst_count: 1, fin_count: 0, handshake_complete: false, end_reason: 'rst', pkt_size_mean: 42,
  ctx_src_distinct_dst_ports: 812, ctx_src_distinct_dst_hosts: 1, ctx_src_syn_only_share: 0.99, ctx_src_flows_per_s: 120,
});

test('a port-scan flow is anomalous and explained by its behavior; baseline flows mostly normal', () => {
  const train = baseline(600);
  const d = Detector.train(train, { seed: 1, contamination: 0.01 });
  const [v] = d.score([scan]);
  assert.equal(v!.anomaly, -1);
  assert.ok(v!.score < d.threshold);
  assert.equal(v!.reasons.length, 3);
  assert.ok(v!.reasons.some((r) => r.feature.startsWith('src_')), JSON.stringify(v!.reasons));
  assert.match(v!.reasons[0]!.text, /= .* \(baseline (p99|max) = .*\)/);
  const normal = d.score(train).filter((x) => x.anomaly === 1).length / train.length;
  assert.ok(normal >= 0.985, `only ${normal} of the baseline scored normal`);
  for (const x of d.score(train)) assert.ok(x.score > -1 && x.score <= 0);
});

test('training is deterministic for a seed; serialization round-trips bit-exactly', () => {
  const train = baseline(300);
  const a = Detector.train(train, { seed: 3 });
  const b = Detector.train(train, { seed: 3 });
  assert.deepEqual(a.serialize(), b.serialize());
  const bytes = a.serialize();
  const c = Detector.deserialize(bytes);
  assert.deepEqual(c.serialize(), bytes);
  assert.deepEqual(c.score([scan, ...train.slice(0, 20)]), a.score([scan, ...train.slice(0, 20)]));
  assert.notDeepEqual(Detector.train(train, { seed: 4 }).serialize(), bytes);
});

test('a corrupted or foreign blob is rejected with a clear message', () => {
  const bytes = Detector.train(baseline(100), { seed: 3 }).serialize();
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length >> 1]! ^= 0x01;
  assert.throws(() => Detector.deserialize(flipped), /checksum mismatch/);
  assert.throws(() => Detector.deserialize(new Uint8Array(100)), /not a nids model/);
  assert.throws(() => Detector.deserialize(bytes.subarray(0, bytes.length - 1)), /checksum|corrupted/);
});

test('parameters are validated once, naming the parameter', () => {
  assert.throws(() => Detector.train(baseline(10), { nEstimators: 0 }), (e: Error) => e instanceof ParameterError && /n_estimators/.test(e.message));
  assert.throws(() => Detector.train(baseline(10), { contamination: 0.9 }), /contamination/);
});

test('the seed featurizer scores the raw 5-tuple', () => {
  const d = Detector.train(baseline(200), { featurizer: 'seed', seed: 1 });
  assert.deepEqual(d.featureNames, ['src_ip', 'dst_ip', 'src_port', 'dst_port', 'protocol']);
  assert.equal(d.score([scan]).length, 1);
});

test('a feature far beyond the baseline range makes a flow anomalous even where the forest cannot isolate it', () => {
  const train = baseline(600);
  const d = Detector.train(train, { seed: 1, contamination: 0.01 });
  const dns = train.find((f) => f.protocol === 17)!;
  // A tunnel query: as ordinary as the baseline's DNS in every way but its long random name.
  const tunnel = { ...dns, flow_id: 'tunnel', dns_qname: `${'k3x9q'.repeat(14)}.t.exfil.net`, dns_qname_len: 82, dns_label_count: 4, dns_qname_entropy: 3.3 };
  const [v] = d.score([tunnel]);
  assert.equal(v!.anomaly, -1);
  assert.equal(v!.reasons[0]!.feature, 'dns_qname_len');
  assert.equal(v!.reasons[0]!.text, 'DNS query name length = 82 (baseline max = 15)');
  assert.equal(v!.severity, 'critical', 'more than two baseline widths beyond the range');
  // Just past the range stays with the forest's verdict: the tolerance is half the range's width.
  const [near] = d.score([{ ...dns, flow_id: 'near', dns_qname_len: 18 }]);
  assert.ok(near!.anomaly === 1 || near!.reasons[0]!.text.includes('p99'), JSON.stringify(near));
});

test("a busy source's ordinary flows are not flagged by its context alone", () => {
  const train = baseline(600);
  const d = Detector.train(train, { seed: 1, contamination: 0.01 });
  const web = train.find((f) => f.protocol === 6)!;
  // Five times the baseline's highest rate from one source: the range check leaves context to the forest.
  const [v] = d.score([{ ...web, flow_id: 'busy', ctx_src_flows_per_s: 2.5 }]);
  assert.ok(v!.anomaly === 1 || !v!.reasons[0]!.text.includes('baseline max'), JSON.stringify(v));
});

test('the baseline range travels with the model', () => {
  const train = baseline(300);
  const d = Detector.train(train, { seed: 3 });
  const copy = Detector.deserialize(d.serialize());
  const probe = [...train.slice(0, 20), { ...train.find((f) => f.protocol === 17)!, dns_qname_len: 90 }];
  assert.deepEqual(copy.score(probe), d.score(probe));
  assert.equal(copy.score(probe).at(-1)!.anomaly, -1);
});

test('while the context window warms up, low distinct counts are floored at the baseline median, high ones pass', async () => {
  const { Featurizer } = await import('../../../lib/features/index.ts');
  const train = baseline(400);
  const fz = Featurizer.fit('behavioral', train);
  const col = fz.names.indexOf('src_distinct_dst_ports');
  const floor = fz.state.warmUpFloors!.src_distinct_dst_ports!;
  assert.ok(floor >= 1, `floor ${floor}`);
  const quiet = { ...train[0]!, ctx_src_distinct_dst_ports: 0 };
  const [warm, settled, scanning] = [
    { ...quiet, ctx_observed_s: 10 },
    { ...quiet, ctx_observed_s: 60 },
    { ...quiet, ctx_observed_s: 10, ctx_src_distinct_dst_ports: 500 },
  ];
  const X = fz.transform([warm, settled, scanning]);
  const d = fz.names.length;
  assert.equal(X[col], Math.log1p(floor), 'warming up: floored at the median');
  assert.equal(X[d + col], 0, 'a complete window: the value as it is');
  assert.equal(X[2 * d + col], Math.log1p(500), 'a scan during warm-up still shows in full');
  const raw = new Float64Array(d);
  fz.raw(warm, raw);
  assert.equal(raw[col], 0, 'reasons quote the real value');
});

test('a batch of repeated and varied anomalous rows is explained exactly as each flow alone by a fresh detector', () => {
  const bytes = Detector.train(baseline(600), { seed: 1, contamination: 0.01 }).serialize();
  // Runs of identical rows (a flood) broken by rows that differ in one feature or in several.
  const flows = Array.from({ length: 60 }, (_, i) =>
    makeFlow({ ...scan, flow_id: `s${i}`, src_port: 40000 + i, ctx_src_distinct_dst_ports: i % 20 < 8 ? 812 : 812 + (i % 3), ctx_src_flows_per_s: i % 7 === 0 ? 5 + i : 120 }),
  );
  const batch = Detector.deserialize(bytes).score(flows);
  assert.ok(batch.every((v) => v.anomaly === -1));
  for (let i = 0; i < flows.length; i++) assert.deepEqual(batch[i], Detector.deserialize(bytes).score([flows[i]!])[0], `flow ${i}`);
  assert.ok(new Set(batch.map((v) => v.reasons.map((r) => r.text).join('; '))).size > 1, 'the rows differ in their reasons');
});
