// The dashboard server: loopback unless a token is given, the token asked of every route,
// the Vega libraries served from node_modules, the state and specs as JSON, and new
// anomalies, incidents and counts pushed as server-sent events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../lib/config/index.ts';
import { DashboardFeed, type AlertRow } from '../../../lib/dashboard/feed.ts';
import { startDashboard } from '../../../lib/dashboard/server.ts';
import { PlotData } from '../../../lib/plot/data.ts';
import type { Incident } from '../../../lib/pipeline/incidents.ts';

const settings = { serve: true, dashboardHost: '127.0.0.1', dashboardPort: 0, dashboardToken: undefined as string | undefined };

const alert = (i: number): AlertRow => ({ flow_id: `f${i}`, ts: 1e15 + i, src_ip: '10.0.0.66', src_port: 51000, dst_ip: '10.0.0.5', dst_port: i, protocol: 6, score: -0.7, severity: 'high', reasons: [`${i} distinct ports probed`] });
const incident: Incident = { incident_id: 'i1', src_ip: '10.0.0.66', source_count: 1, behaviour: 'port_scan', ts_start: 1e15, ts_end: 1e15 + 9, flows: 9, bytes: 360, victim_count: 1, victims: ['10.0.0.5'], top_reasons: ['9 distinct ports probed'], severity: 'high', model_id: 'm-1', status: 'closed', reported_at: 1e15 + 9 };

test('beyond loopback without a token: refused in one line', async () => {
  await assert.rejects(startDashboard(new DashboardFeed(new PlotData()), { ...settings, dashboardHost: '0.0.0.0' }), (err: Error) => err instanceof ConfigError && /--dashboard-host 0\.0\.0\.0: beyond loopback the dashboard needs --dashboard-token/.test(err.message));
});

test('with a token, every route asks for it (query or bearer)', async () => {
  const d = await startDashboard(new DashboardFeed(new PlotData()), { ...settings, dashboardToken: 's3cret' });
  try {
    const base = d.url.replace(/\?.*$/, '');
    assert.match(d.url, /\?token=s3cret$/);
    for (const path of ['', 'api/state', 'vendor/vega.min.js', 'events']) assert.equal((await fetch(base + path)).status, 401, path);
    assert.equal((await fetch(base + 'api/state?token=wrong')).status, 401);
    assert.equal((await fetch(base + 'api/state?token=s3cret')).status, 200);
    assert.equal((await fetch(base + 'api/state', { headers: { authorization: 'Bearer s3cret' } })).status, 200);
  } finally {
    await d.close();
  }
});

test('the page, the Vega libraries, the state and the specs are served', async () => {
  const plot = new PlotData();
  plot.add('10.0.0.66', 51000, 22, 1e15, true, ['probe']);
  const d = await startDashboard(new DashboardFeed(plot), settings);
  try {
    assert.match(await (await fetch(d.url)).text(), /<script src="vendor\/vega-embed\.min\.js">/);
    for (const lib of ['vega', 'vega-lite', 'vega-embed']) {
      const r = await fetch(`${d.url}vendor/${lib}.min.js`);
      assert.equal(r.status, 200);
      assert.ok((await r.text()).length > 50_000, `${lib} is the browser build`);
    }
    const state = (await (await fetch(`${d.url}api/state`)).json()) as { counts: { flows: number; anomalies: number } };
    assert.deepEqual([state.counts.flows, state.counts.anomalies], [1, 1]);
    const specs = (await (await fetch(`${d.url}api/specs`)).json()) as Record<string, { title: { text: string } }>;
    assert.deepEqual(Object.keys(specs).sort(), ['scatter', 'timeline', 'topSources']);
    assert.equal(specs.scatter!.title.text, 'Flows by source and destination port');
    assert.equal((await fetch(`${d.url}nothing`)).status, 404);
  } finally {
    await d.close();
  }
});

test('new anomalies, incidents and counts reach an open event stream', async () => {
  const feed = new DashboardFeed(new PlotData());
  const d = await startDashboard(feed, settings);
  const controller = new AbortController();
  try {
    const res = await fetch(`${d.url}events`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    await reader.read(); // ": connected"
    feed.addAnomalies([alert(1), alert(2)]);
    feed.addIncidents([incident]);
    const deadline = Date.now() + 5000;
    while (!/event: incidents/.test(text) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    const events = text.split('\n\n').filter((e) => e.startsWith('event:')).map((e) => [/event: (\w+)/.exec(e)![1], JSON.parse(/data: (.*)/.exec(e)![1]!)] as const);
    assert.deepEqual(events.map(([type]) => type), ['anomalies', 'counts', 'incidents', 'counts']);
    assert.deepEqual(events[3]![1], { flows: 0, anomalies: 0, incidents: 1, sources: 0 }, 'counts follow the plot data (empty here) and the incidents');
    assert.deepEqual((events[0]![1] as AlertRow[]).map((a) => a.flow_id), ['f1', 'f2']);
    assert.equal((events[2]![1] as Incident[])[0]!.behaviour, 'port_scan');
    assert.deepEqual(feed.snapshot().counts.incidents, 1);
  } finally {
    controller.abort();
    await d.close();
  }
});
