// nids' ECS alerts against the ECS field definitions they claim (test/fixtures/ecs-fields.json,
// an extract of ECS 8.11.0): every field outside our own `nids.*` must be an ECS field, of
// its ECS type, with an allowed value where ECS restricts them; and the fields a SIEM rule
// relies on are all there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ECS_VERSION, ecsOfAnomaly, ecsOfIncident, type EcsAlert } from '../../../lib/siem/ecs.ts';
import type { Anomaly, Incident } from '../../../lib/avro/records.ts';

const ecs = JSON.parse(readFileSync(new URL('../../fixtures/ecs-fields.json', import.meta.url), 'utf8')) as {
  version: string;
  fields: Record<string, string>;
  allowed: Record<string, string[]>;
};

/** Leaf fields as ECS names them (dotted); an array of scalars is one field with several values. */
function flatten(o: Record<string, unknown>, prefix = '', out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) out.set(name, v);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
    else out.set(name, [v]);
  }
  return out;
}

const TYPE_CHECKS: Record<string, (v: unknown) => boolean> = {
  keyword: (v) => typeof v === 'string' && v.length > 0,
  match_only_text: (v) => typeof v === 'string',
  long: (v) => Number.isSafeInteger(v),
  date: (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  ip: (v) => typeof v === 'string' && isIP(v) !== 0,
};

function validate(alert: EcsAlert): string[] {
  const problems: string[] = [];
  for (const [name, values] of flatten(alert)) {
    if (name.startsWith('nids.')) continue;
    const type = ecs.fields[name];
    if (!type) {
      problems.push(`${name}: not an ECS ${ecs.version} field (custom fields go under nids.*)`);
      continue;
    }
    const check = TYPE_CHECKS[type];
    assert.ok(check, `no check for ECS type ${type}`);
    for (const v of values) {
      if (!check(v)) problems.push(`${name}: ${JSON.stringify(v)} is not a valid ${type}`);
      if (ecs.allowed[name] && !ecs.allowed[name].includes(String(v))) problems.push(`${name}: ${JSON.stringify(v)} is not an allowed value`);
    }
  }
  return problems;
}

const anomaly = (over: Partial<Anomaly>): Anomaly => ({
  flow_id: '4d15a7cddc763d01', community_id: '1:T8jcfmXsHMTnXKQEyAHbIOiSKK4=', sensor_id: 'edge-1', ts_start: 1_793_610_010_053_803, ts_end: 1_793_610_010_054_103,
  src_ip: '10.0.0.66', dst_ip: '10.0.0.5', src_port: 43753, dst_port: 22, protocol: 6, packets: 2, bytes: 80, score: -0.61, threshold: -0.62, severity: 'critical',
  reasons: [
    { feature: 'host.port_scan', value: 443, baseline: 1, text: '10.0.0.66: 443 distinct ports probed on 1 host(s) in 10 s, 100 % unanswered (baseline typical host = 1)' },
    { feature: 'syn_share', value: 0.5, baseline: null, text: 'share of SYN packets = 0.50' },
  ],
  model_id: 'm-1af9999ccde05363', detected_at: 1_795_000_000_123_456, ...over,
});

const incident: Incident = {
  incident_id: '10.0.0.77/port_scan/1793610011687730', status: 'closed', src_ip: '10.0.0.77', source_count: 1, behaviour: 'port_scan',
  ts_start: 1_793_610_011_687_730, ts_end: 1_793_610_015_627_730, flows: 774, bytes: 417_960, victim_count: 2, victims: ['10.0.0.5', 'fd00::5'],
  top_reasons: ['10.0.0.77: 784 distinct ports probed on 1 host(s) in 10 s'], severity: 'high', model_id: 'm-1af9999ccde05363', reported_at: 1_795_000_000_000_000,
};

test('anomaly alerts (TCP, UDP, ICMP, IPv6) are valid ECS and carry what a SIEM rule needs', () => {
  const samples = [
    anomaly({}),
    anomaly({ protocol: 17, dst_port: 53, severity: 'low' }),
    anomaly({ protocol: 1, src_port: 8, dst_port: 0, severity: 'medium' }),
    anomaly({ protocol: 58, src_ip: 'fd00::66', dst_ip: 'fd00::5', src_port: 128, dst_port: 129, severity: 'high' }),
  ];
  for (const a of samples) {
    const e = ecsOfAnomaly(a);
    assert.deepEqual(validate(e), [], JSON.stringify(e));
    const f = flatten(e);
    const one = (name: string) => f.get(name)?.[0];
    assert.equal(one('event.kind'), 'alert');
    assert.deepEqual(f.get('event.category'), ['network']);
    assert.equal(one('ecs.version'), ECS_VERSION);
    assert.equal(ECS_VERSION, ecs.version, 'the formatter and the fixture name the same ECS version');
    assert.equal(one('source.ip'), a.src_ip);
    assert.equal(one('destination.ip'), a.dst_ip);
    assert.equal(one('network.community_id'), a.community_id);
    assert.equal(one('event.reason'), a.reasons.map((r) => r.text).join('; '));
    assert.equal(one('rule.name'), 'nids port_scan');
    assert.equal(one('nids.score'), a.score);
    assert.equal(one('nids.threshold'), a.threshold);
    assert.equal(one('nids.model_id'), a.model_id);
    assert.deepEqual((e.nids as { reasons: { feature: string }[] }).reasons.map((r) => r.feature), a.reasons.map((r) => r.feature));
    if (a.protocol === 6 || a.protocol === 17) {
      assert.equal(one('source.port'), a.src_port);
      assert.equal(one('destination.port'), a.dst_port);
    } else assert.equal(f.has('source.port'), false, 'ICMP types are not ports');
  }
  const sev = samples.map((a) => flatten(ecsOfAnomaly(a)).get('event.severity')![0] as number);
  assert.deepEqual(sev, [99, 21, 47, 73], 'severity numbers follow low < medium < high < critical');
  assert.deepEqual(samples.map((a) => flatten(ecsOfAnomaly(a)).get('network.transport')![0]), ['tcp', 'udp', 'icmp', 'ipv6-icmp']);
});

test('incident alerts are valid ECS: victims in related.ip, figures under nids.incident', () => {
  const e = ecsOfIncident(incident);
  assert.deepEqual(validate(e), [], JSON.stringify(e));
  const f = flatten(e);
  assert.deepEqual(f.get('related.ip'), ['10.0.0.77', '10.0.0.5', 'fd00::5']);
  assert.equal(f.get('event.id')![0], incident.incident_id);
  assert.equal(f.get('nids.incident.flows')![0], 774);
  assert.equal(f.has('destination.ip'), false, 'two victims: no single destination');
  assert.deepEqual(validate(ecsOfIncident({ ...incident, victims: ['10.0.0.5'], victim_count: 1 })), []);
});

test('the validator rejects what ECS would not take', () => {
  const bad = ecsOfAnomaly(anomaly({}));
  (bad.source as Record<string, unknown>).port = '443';
  (bad.event as Record<string, unknown>).kind = 'warning';
  (bad as Record<string, unknown>).score = 1;
  assert.deepEqual(validate(bad).sort(), [
    'event.kind: "warning" is not an allowed value',
    'score: not an ECS 8.11.0 field (custom fields go under nids.*)',
    'source.port: "443" is not a valid long',
  ]);
});
