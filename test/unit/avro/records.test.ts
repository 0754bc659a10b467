import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAnomaly, type ScoredFlow } from '../../../lib/avro/records.ts';
import { severityOf } from '../../../lib/detector/severity.ts';
import { avroType } from '../../../lib/avro/schemas.ts';
import { makeFlow } from '../../helpers/flows.ts';

test('severity grows with the distance below the threshold', () => {
  assert.equal(severityOf(-0.66, -0.65), 'low');
  assert.equal(severityOf(-0.68, -0.65), 'medium');
  assert.equal(severityOf(-0.70, -0.65), 'high');
  assert.equal(severityOf(-0.75, -0.65), 'critical');
});

test('scored flows and anomalies are valid against the Avro schemas and round-trip', () => {
  const scored: ScoredFlow = { flow: makeFlow(), score: -0.72, anomaly: -1, threshold: -0.65, model_id: 'm-1', feature_version: 'v', reasons: ['x = 1 (baseline p99 = 0)'], scored_at: 1 };
  const anomaly = toAnomaly(scored, severityOf(scored.score, scored.threshold), [{ feature: 'x', value: 1, baseline: 0, text: 'x = 1 (baseline p99 = 0)' }], 2);
  assert.equal(anomaly.packets, 22);
  assert.equal(anomaly.severity, 'critical');
  for (const [name, value] of [['scoredFlow', scored], ['anomaly', anomaly], ['flow', scored.flow]] as const) {
    const t = avroType(name);
    assert.ok(t.isValid(value), `${name} is not valid for its schema`);
    // Decoded records are avsc record classes; compare their data.
    assert.deepEqual(JSON.parse(JSON.stringify(t.fromBuffer(t.toBuffer(value)))), value);
  }
});
