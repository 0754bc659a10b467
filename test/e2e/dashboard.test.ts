// The live dashboard end to end in Debian's Chromium (playwright-core driving
// /usr/bin/chromium; nothing downloaded): `nids analyze --serve` scores a simulated capture
// with a port scan and a SYN flood, paced so the page is open while flows arrive; the
// anomalies and the incidents reach the page by server-sent events, the charts are drawn
// from the server's Vega-Lite specs, the filters narrow the tables, and a screenshot is
// kept as a test artifact.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { runNids, startNids, waitFor, type Running } from '../helpers/proc.ts';
import { REPO } from '../helpers/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'out', 'test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'nids-dashboard-'));
const running: Running[] = [];
let browser: Browser | null = null;

after(async () => {
  await browser?.close();
  await Promise.all(running.map((p) => p.stop(5000)));
});

test('the dashboard shows anomalies and incidents as they arrive, in Chromium', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install.sh installs Debian's chromium`);
  const baseline = join(dir, 'baseline.pcap');
  const input = join(dir, 'input.pcap');
  await runNids(['simulate', '--out', baseline, '--seed', '21', '--duration', '60']);
  await runNids(['simulate', '--out', input, '--seed', '22', '--duration', '60', '--attacks', 'portscan,synflood']);
  // A model first, so the served run spends its time on the input only.
  await runNids(['analyze', '--baseline', baseline, '--input', baseline, '--out', join(dir, 'model')]);

  // The browser first (slow to start on a loaded machine), then the run it watches.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1800 } });
  // 60 s of traffic at 3x real time: about 20 s of arriving flows to watch.
  const served = startNids(['analyze', '--model', join(dir, 'model', 'model.nidsm'), '--input', input, '--out', join(dir, 'out'), '--serve', '--dashboard-port', '0', '--replay-speed', '3']);
  running.push(served);
  const url = await waitFor('the dashboard URL', () => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(served.output().stderr)?.[1], 60_000);

  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#status:text("live")', { timeout: 30_000 });
  assert.doesNotMatch(served.output().stderr, /still serving/, 'the page opened while the run was still going');

  // Anomalies arrive by server-sent events while the capture is read.
  await page.waitForFunction(() => document.querySelectorAll('#anomalies tbody tr').length > 0 && Number(document.body.dataset.events ?? 0) > 0, undefined, { timeout: 60_000 });
  await waitFor('the run to finish', () => (/still serving/.test(served.output().stderr) ? true : undefined), 90_000);
  await page.waitForFunction(() => document.querySelectorAll('#incidents tbody tr').length > 0, undefined, { timeout: 30_000 });

  // The page's counts are the run's.
  const summary = served.output().stdout;
  const flows = Number(/scored (\d+) flows: (\d+) anomalous/.exec(summary)?.[1]);
  const anomalous = Number(/scored \d+ flows: (\d+) anomalous/.exec(summary)?.[1]);
  const incidents = Number(/^(\d+) incident\(s\)/m.exec(summary)?.[1]);
  assert.ok(anomalous > 100 && incidents > 0, summary);
  const count = async (id: string) => Number((await page.textContent(`#count-${id}`))!.replace(/,/g, ''));
  await page.waitForFunction((n) => document.querySelector('#count-flows')?.textContent?.replace(/,/g, '') === String(n), flows, { timeout: 10_000 });
  assert.deepEqual([await count('flows'), await count('anomalies'), await count('incidents')], [flows, anomalous, incidents]);
  const incidentText = await page.textContent('#incidents tbody');
  assert.match(incidentText!, /10\.0\.0\.66/, 'the port scanner\'s incident is listed');
  assert.match(incidentText!, /distinct ports probed/, 'with its reason');

  // The charts are drawn (SVG, from the same Vega-Lite specs as the PNG files).
  await page.waitForFunction(() => ['#timeline', '#scatter', '#top-sources'].every((id) => document.querySelector(`${id} svg`)), undefined, { timeout: 30_000 });
  assert.match((await page.textContent('#scatter'))!, /Flows by source and destination port/);

  // Filters: one host; then critical only.
  await page.fill('#filter-host', '10.0.0.66');
  const sources = await page.$$eval('#anomalies tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent ?? ''));
  const destinations = await page.$$eval('#anomalies tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent ?? ''));
  assert.ok(sources.length > 0);
  sources.forEach((s, i) => assert.ok(s.startsWith('10.0.0.66:') || destinations[i]!.startsWith('10.0.0.66:'), `${s} -> ${destinations[i]}`));
  await page.fill('#filter-host', '');
  await page.selectOption('#filter-severity', 'critical');
  const severities = await page.$$eval('#anomalies tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
  assert.ok(severities.length > 0 && severities.every((s) => s === 'critical'), severities.join(','));
  await page.selectOption('#filter-severity', 'low');

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  process.stdout.write(`# dashboard screenshot: ${shot}\n`);
  assert.deepEqual(pageErrors, []);

  // Ctrl-C ends the serving; the run's exit status stands.
  served.child.kill('SIGINT');
  const r = await served.exited;
  assert.equal(r.code, 0, r.stderr);
});
