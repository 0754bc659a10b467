// Webhook alerting against a local HTTP receiver (loopback, port 0): severity filter,
// de-duplication per (kind, source, behaviour), the rate limit, retries with back-off,
// both bodies; and a receiver that hangs or fails does not slow the sink's batch work,
// measured as batches done in equal windows beside a healthy receiver, in the same run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { WebhookAlerter, type WebhookOptions } from '../../../lib/alert/webhook.ts';
import { alertOfAnomaly, alertOfIncident } from '../../../lib/alert/message.ts';
import { ALERT_DEFAULTS } from '../../../lib/config/stages.ts';
import { CsvWriter } from '../../../lib/pipeline/csv.ts';
import { SiemOutputs } from '../../../lib/pipeline/siem.ts';
import { toAnomaly, type Anomaly, type Incident, type ScoredFlow, type Severity } from '../../../lib/avro/records.ts';
import { makeFlow } from '../../helpers/flows.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A local receiver; `handle` decides each answer (default 200). */
async function receiver(handle: Handler = (_q, res) => res.end('ok')) {
  const bodies: unknown[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      handle(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  };
  return { url, bodies, close, maxInFlight: () => maxInFlight };
}

const anomaly = (i: number, over: Partial<Anomaly> = {}): Anomaly => ({
  ...toAnomaly(
    { flow: makeFlow({ flow_id: `f-${i}`, src_ip: '10.0.0.66', dst_port: 1000 + i }), score: -0.7, anomaly: -1, threshold: -0.6, model_id: 'm-1', feature_version: 'v', reasons: [], scored_at: 0 },
    'high',
    [{ feature: 'host.port_scan', value: 90, baseline: 2, text: '10.0.0.66: 90 distinct ports probed' }],
    1_795_000_000_000_000,
  ),
  ...over,
});

const options = (url: string, over: Partial<WebhookOptions> = {}): WebhookOptions => ({ ...ALERT_DEFAULTS, webhookUrl: url, alertBackoffMs: 20, alertTimeoutMs: 2000, ...over });
const value = async (r: Registry, name: string, labels: Record<string, string> = {}) =>
  (await r.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'nids-webhook-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('severity filter, de-duplication per source and behaviour, and the rate limit hold', async () => {
  const rx = await receiver();
  const registry = new Registry();
  let now = 1_000_000;
  const alerter = new WebhookAlerter(options(rx.url, { alertSeverity: 'high', alertDedupeS: 60, alertRatePerMin: 5 }), registry, undefined, () => now);
  try {
    assert.equal(alerter.offer(alertOfAnomaly(anomaly(0, { severity: 'medium' }))), false, 'below --alert-severity');
    // A scan: 500 anomalies of one source and behaviour -> one alert.
    const accepted = Array.from({ length: 500 }, (_, i) => alerter.offer(alertOfAnomaly(anomaly(i)))).filter(Boolean).length;
    assert.equal(accepted, 1);
    // Twenty other sources in the same minute: only four more fit the rate of 5 per minute.
    for (let i = 0; i < 20; i++) alerter.offer(alertOfAnomaly(anomaly(i, { src_ip: `10.0.1.${i}` })));
    await until('5 alerts received', () => rx.bodies.length === 5);
    assert.equal(await value(registry, 'nids_alerts_dropped_total', { reason: 'duplicate' }), 499);
    assert.equal(await value(registry, 'nids_alerts_dropped_total', { reason: 'rate_limited' }), 16);
    assert.equal(await value(registry, 'nids_alerts_dropped_total', { reason: 'below_severity' }), 1);
    // A minute on: the limit has room again, and the scan's source is still one alert per window.
    now += 61_000;
    assert.equal(alerter.offer(alertOfAnomaly(anomaly(9))), true, 'the dedupe window has passed');
    assert.equal(alerter.offer(alertOfAnomaly(anomaly(10))), false);
    const incident: Incident = { incident_id: '10.0.0.66/port_scan/1', status: 'open', src_ip: '10.0.0.66', source_count: 1, behaviour: 'port_scan', ts_start: 1, ts_end: 2, flows: 500, bytes: 1, victim_count: 1, victims: ['10.0.0.5'], top_reasons: ['scan'], severity: 'critical', model_id: 'm-1', reported_at: 3 };
    assert.equal(alerter.offer(alertOfIncident(incident)), true, 'an incident is its own kind: not a duplicate of the anomalies');
    await until('7 alerts received', () => rx.bodies.length === 7);
    // The receiver records a body before it answers; the alerter counts it once the answer arrives.
    for (let i = 0; i < 500 && (await value(registry, 'nids_alerts_sent_total')) < 7; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await value(registry, 'nids_alerts_sent_total'), 7);
    type Body = { kind: string; source: string; behaviour: string; suppressed: number; record: Anomaly };
    const last = rx.bodies[5] as Body;
    assert.equal(last.kind, 'anomaly');
    assert.equal(last.behaviour, 'port_scan');
    assert.equal(last.record.flow_id, 'f-9');
    assert.equal((rx.bodies[0] as Body).suppressed, 0);
    assert.equal((rx.bodies[1] as Body).suppressed, 499 + 16, 'the next alert sent says how many were suppressed before it');
    const keys = rx.bodies.map((b) => { const x = b as { kind: string; source: string; behaviour: string }; return `${x.kind}|${x.source}|${x.behaviour}`; });
    assert.equal(new Set(keys.slice(0, 5)).size, 5, 'no duplicate within the window');
  } finally {
    await alerter.close(1000);
    await rx.close();
  }
});

test('Slack body; failures are retried with back-off; a refusal is not', async () => {
  let calls = 0;
  const rx = await receiver((_q, res) => {
    calls++;
    res.statusCode = calls <= 2 ? 503 : calls === 4 ? 400 : 200;
    res.end();
  });
  const registry = new Registry();
  const alerter = new WebhookAlerter(options(rx.url, { webhookFormat: 'slack', alertDedupeS: 0 }), registry);
  try {
    alerter.offer(alertOfAnomaly(anomaly(1)));
    await until('the third attempt', () => calls === 3);
    alerter.offer(alertOfAnomaly(anomaly(2, { src_ip: '10.0.0.67' })));
    await until('the refusal', () => calls === 4);
    // Counted once the answers reach the alerter; then a moment more, in which a retry of the 400 would show.
    for (let i = 0; i < 500 && (await value(registry, 'nids_alerts_sent_total')) + (await value(registry, 'nids_alerts_failed_total')) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 4, 'a 400 is final: no retry');
    assert.equal(await value(registry, 'nids_alert_retries_total'), 2);
    assert.equal(await value(registry, 'nids_alerts_sent_total'), 1);
    assert.equal(await value(registry, 'nids_alerts_failed_total'), 1);
    const slack = rx.bodies[0] as { text: string; blocks: { type: string; text: { type: string; text: string } }[] };
    assert.match(slack.text, /^high anomaly: 10\.0\.0\.66 -> /);
    assert.equal(slack.blocks[0]!.type, 'section');
    assert.equal(slack.blocks[0]!.text.type, 'mrkdwn');
    assert.match(slack.blocks[0]!.text.text, /90 distinct ports probed/);
  } finally {
    await alerter.close(1000);
    await rx.close();
  }
});

/** Scored flows with one anomaly in ten, each from its own source (so none is a duplicate). */
function batchOf(n: number, start: number): { scored: ScoredFlow[]; anomalies: Anomaly[] } {
  const scored: ScoredFlow[] = [];
  const anomalies: Anomaly[] = [];
  for (let i = start; i < start + n; i++) {
    const bad = i % 10 === 0;
    const flow = makeFlow({ flow_id: `b-${i}`, src_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
    const s: ScoredFlow = { flow, score: bad ? -0.7 : -0.4, anomaly: bad ? -1 : 1, threshold: -0.6, model_id: 'm-1', feature_version: 'v', reasons: [], scored_at: 0 };
    scored.push(s);
    if (bad) anomalies.push(toAnomaly(s, 'critical' as Severity, [{ feature: 'host.flood', value: 1, baseline: 0, text: 'flood' }], 0));
  }
  return { scored, anomalies };
}

/** The sink's per-batch work (CSV rows, ECS lines, webhook offers) for `ms`; returns batches done. */
async function sinkBatchesIn(name: string, alerter: WebhookAlerter | null, ms: number): Promise<number> {
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const csv = new CsvWriter(join(out, 'rows.csv'), false);
  const siem = new SiemOutputs(out, { ecs: true, alerter, syncEachBatch: false });
  let batches = 0;
  const end = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < end; i++) {
    const { scored, anomalies } = batchOf(200, i * 200);
    csv.write(scored);
    siem.onAnomalies(anomalies);
    batches++;
    // The sink service waits on Kafka between batches: the event loop runs.
    await yieldToLoop();
  }
  csv.close();
  siem.close();
  return batches;
}

test('a receiver that hangs or fails does not slow the sink (batches in equal windows, same run)', async (t) => {
  const healthy = await receiver();
  const hung = await receiver(() => {}); // never answers
  const failing = await receiver((_q, res) => {
    res.statusCode = 500;
    res.end();
  });
  // Rounds of equal windows, the peers interleaved, so a change in the machine's load falls on all of them.
  const ROUNDS = 3;
  const WINDOW_MS = 400;
  const make = (url: string, registry: Registry) => new WebhookAlerter(options(url, { alertDedupeS: 0, alertRatePerMin: 1_000_000, alertQueue: 100, alertTimeoutMs: 60_000, alertRetries: 3 }), registry);
  const regs = { healthy: new Registry(), hung: new Registry(), failing: new Registry() };
  const alerters = { healthy: make(healthy.url, regs.healthy), hung: make(hung.url, regs.hung), failing: make(failing.url, regs.failing) };
  try {
    let [none, withHealthy, withHung, withFailing] = [0, 0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      none += await sinkBatchesIn(`none-${round}`, null, WINDOW_MS);
      withHealthy += await sinkBatchesIn(`healthy-${round}`, alerters.healthy, WINDOW_MS);
      withHung += await sinkBatchesIn(`hung-${round}`, alerters.hung, WINDOW_MS);
      withFailing += await sinkBatchesIn(`failing-${round}`, alerters.failing, WINDOW_MS);
    }
    t.diagnostic(`sink batches of 200 flows in ${ROUNDS} x ${WINDOW_MS} ms: no webhook ${none}, healthy ${withHealthy}, hung ${withHung}, failing ${withFailing}`);
    assert.ok(withHealthy > 5 && withHung > 5, 'the windows did real work');
    assert.ok(withHung >= withHealthy * 0.5, `hung receiver: ${withHung} batches vs ${withHealthy} beside a healthy one`);
    assert.ok(withFailing >= withHealthy * 0.5, `failing receiver: ${withFailing} batches vs ${withHealthy} beside a healthy one`);
    // The hung receiver held one request; the rest waited in the bounded queue or were dropped, counted.
    assert.equal(hung.maxInFlight(), 1);
    const offered = withHung * 20;
    const dropped = await value(regs.hung, 'nids_alerts_dropped_total', { reason: 'queue_full' });
    assert.equal(await value(regs.hung, 'nids_alert_queue_depth'), 100);
    assert.equal(dropped, offered - 100 - 1, 'every alert beyond the queue and the one in flight is counted as dropped');
    assert.ok((await value(regs.failing, 'nids_alert_retries_total')) > 0, 'the failing receiver was retried');
  } finally {
    // Closing gives up on the hung request after the grace period instead of waiting for it.
    const started = Date.now();
    await Promise.all(Object.values(alerters).map((a) => a.close(200)));
    assert.ok(Date.now() - started < 5000, 'close() does not wait for a hung receiver');
    assert.equal(await value(regs.hung, 'nids_alerts_failed_total'), 101, 'the abandoned ones are counted as failed');
    await Promise.all([healthy.close(), hung.close(), failing.close()]);
  }
});
