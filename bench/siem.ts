// SIEM group: what the sink's SIEM outputs cost per anomaly. ECS formatting beside the plain
// JSON of anomalies.jsonl (the peer), and the sink's anomaly handling (ECS file + webhook
// offer) with no webhook, a receiver that answers, and one that never answers, in one run.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ecsOfAnomaly } from '../lib/siem/ecs.ts';
import { SiemOutputs } from '../lib/pipeline/siem.ts';
import { WebhookAlerter } from '../lib/alert/webhook.ts';
import { ALERT_DEFAULTS } from '../lib/config/stages.ts';
import { toAnomaly, type Anomaly } from '../lib/avro/records.ts';
import { makeFlow } from '../test/helpers/flows.ts';
import { emit, median } from './util.ts';

const N = 20_000;
const anomalies: Anomaly[] = Array.from({ length: N }, (_, i) =>
  toAnomaly(
    { flow: makeFlow({ flow_id: `b-${i}`, src_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }), score: -0.7, anomaly: -1, threshold: -0.6, model_id: 'm-1', feature_version: 'v', reasons: [], scored_at: 0 },
    'critical',
    [
      { feature: 'host.port_scan', value: 90, baseline: 2, text: '10.0.0.66: 90 distinct ports probed on 1 host(s) in 10 s' },
      { feature: 'syn_share', value: 1, baseline: 0.1, text: 'share of SYN packets = 1' },
    ],
    1_795_000_000_000_000,
  ),
);

function perSecond(run: () => void): number {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    run();
    rates.push(N / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

let sink = 0;
emit('siem.format (anomalies/s)', 'ecs-ndjson', perSecond(() => { for (const a of anomalies) sink += JSON.stringify(ecsOfAnomaly(a)).length; }), 'anomalies/s');
emit('siem.format (anomalies/s)', 'plain-json (anomalies.jsonl)', perSecond(() => { for (const a of anomalies) sink += JSON.stringify(a).length; }), 'anomalies/s');

const dir = mkdtempSync(join(tmpdir(), 'nids-bench-siem-'));
const servers = [createServer((_q, res) => res.end()), createServer(() => {})];
await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
const url = (i: number) => `http://127.0.0.1:${(servers[i]!.address() as AddressInfo).port}/`;
const opts = { ...ALERT_DEFAULTS, alertDedupeS: 0, alertRatePerMin: 1e9, alertSeverity: 'low' as const };
for (const [impl, alerter] of [
  ['no-webhook', null],
  ['webhook-answering', new WebhookAlerter({ ...opts, webhookUrl: url(0) }, new Registry())],
  ['webhook-hung', new WebhookAlerter({ ...opts, webhookUrl: url(1) }, new Registry())],
] as const) {
  const out = join(dir, impl);
  mkdirSync(out);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const siem = new SiemOutputs(out, { ecs: true, alerter, syncEachBatch: false });
    const t0 = performance.now();
    for (let i = 0; i < N; i += 200) {
      siem.onAnomalies(anomalies.slice(i, i + 200).map((a) => ({ ...a, flow_id: `${a.flow_id}-${r}` })));
      await new Promise((res) => setImmediate(res));
    }
    rates.push(N / ((performance.now() - t0) / 1000));
    siem.close();
  }
  emit('siem.sink_anomalies (ECS file + webhook offer)', impl, median(rates), 'anomalies/s');
  await alerter?.close(100);
}
for (const s of servers) {
  s.closeAllConnections();
  s.close();
}
rmSync(dir, { recursive: true, force: true });
if (sink < 0) console.log(sink);
