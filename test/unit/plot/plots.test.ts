// The plots drawn by Vega-Lite and resvg: valid PNGs of the spec's size, the anomalous
// points in the anomalous colour, the incidents shaded; and the plot data stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { MAX_PAIRS, PlotData } from '../../../lib/plot/data.ts';
import { renderPng } from '../../../lib/plot/render.ts';
import { COLORS, scatterSpec, timelineSpec, topSourcesSpec } from '../../../lib/plot/specs.ts';
import { atomicallyInto, PLOT_FILES, writePlots } from '../../../lib/pipeline/plot.ts';
import { defaultsOf } from '../../../lib/config/index.ts';
import { plotSettings } from '../../../lib/config/stages.ts';

const { plotFont } = defaultsOf(plotSettings);
const T0 = Date.UTC(2026, 10, 2, 9) * 1000;

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** `hex` drawn at `alpha` over white, as a hex colour. */
const overWhite = (hex: string, alpha: number): string => '#' + rgb(hex).map((c) => Math.round(255 - alpha * (255 - c)).toString(16).padStart(2, '0')).join('');

/**
 * Pixels of the hue of `hex` (its strongest channel leads the others by at least `lead`):
 * overlapping translucent points and anti-aliasing shift the exact colour, not the hue.
 */
function countHue(png: PNG, hex: string, lead = 90): number {
  const c = rgb(hex);
  const main = c.indexOf(Math.max(...c));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const v = png.data[i + main]!;
    if ([0, 1, 2].every((k) => k === main || v - png.data[i + k]! >= lead)) n++;
  }
  return n;
}

/** Pixels within `tol` of `hex` in every channel. */
function countColour(png: PNG, hex: string, tol = 30): number {
  const [r, g, b] = rgb(hex);
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i]! - r) <= tol && Math.abs(png.data[i + 1]! - g) <= tol && Math.abs(png.data[i + 2]! - b) <= tol) n++;
  }
  return n;
}

/** A port scan from one source among normal web and DNS traffic. */
function scanData(anomalous: number): PlotData {
  const d = new PlotData();
  for (let i = 0; i < 3000; i++) d.add(`10.0.0.${10 + (i % 20)}`, 32768 + ((i * 997) % 28000), i % 3 ? 443 : 53, T0 + i * 20_000, false, []);
  for (let i = 0; i < anomalous; i++) d.add('10.0.0.66', 51000, 1 + i, T0 + 30e6 + i * 1000, true, [`10.0.0.66: ${i + 1} distinct ports probed on 1 host(s) in 10 s`]);
  return d;
}

const decode = (bytes: Uint8Array): PNG => PNG.sync.read(Buffer.from(bytes));

test('anomaly_plot: a valid PNG of the spec size, anomalous crosses red, normal dots green', async () => {
  const withScan = decode(await renderPng(scatterSpec(scanData(800)), plotFont));
  const clean = decode(await renderPng(scatterSpec(scanData(0)), plotFont));
  // 760 x 460 of plot area, plus axes, title and legend.
  assert.ok(withScan.width > 760 && withScan.width < 1100, `width ${withScan.width}`);
  assert.ok(withScan.height > 460 && withScan.height < 700, `height ${withScan.height}`);
  const red = countHue(withScan, COLORS.anomalous);
  const redClean = countHue(clean, COLORS.anomalous); // the legend's symbol only
  assert.ok(red > 5 * Math.max(redClean, 1), `red pixels: ${red} with 800 anomalous flows, ${redClean} without`);
  const green = countHue(clean, COLORS.normal);
  assert.ok(green > 200, `normal flows drawn green: ${green} pixels`);
});

test('timeline: incidents shaded, anomalous bars red', async () => {
  const d = scanData(800);
  d.addIncidents([{ src_ip: '10.0.0.66', behaviour: 'port_scan', ts_start: T0 + 30e6, ts_end: T0 + 50e6, severity: 'high' }]);
  const withIncident = decode(await renderPng(timelineSpec(d), plotFont));
  const without = decode(await renderPng(timelineSpec(scanData(800)), plotFont));
  assert.ok(withIncident.width > 760 && withIncident.height > 300);
  // The shade is the incident colour at 22 % over white.
  const shade = overWhite(COLORS.incident, 0.22);
  assert.ok(countColour(withIncident, shade, 12) > 5 * Math.max(countColour(without, shade, 12), 1), 'the incident is shaded');
  assert.ok(countColour(withIncident, COLORS.anomalous) > 200, 'anomalies drawn red');
});

test('top_sources: the most anomalous source first, with its reason', async () => {
  const d = scanData(800);
  d.add('198.51.100.7', 1234, 80, T0, true, ['share of SYN packets = 1 (baseline max = 0.11)']);
  const top = d.topSources(12, 2);
  assert.deepEqual(top.map((s) => [s.ip, s.anomalies]), [['10.0.0.66', 800], ['198.51.100.7', 1]]);
  // Numbers differ per flow; the reason counts as one kind and keeps its latest text.
  assert.deepEqual(top[0]!.reasons, ['10.0.0.66: 800 distinct ports probed on 1 host(s) in 10 s']);
  const png = decode(await renderPng(topSourcesSpec(d), plotFont));
  assert.ok(countColour(png, COLORS.anomalous) > 1000, 'the bars are red');
});

test('plot data stays bounded however many flows: port pairs capped and counted, buckets widened', () => {
  const d = new PlotData();
  const n = 200_000;
  for (let i = 0; i < n; i++) d.add('10.0.0.1', i % 65536, (i * 7) % 65536, T0 + i * 50_000, i % 50 === 0, ['x']);
  assert.equal(d.flows, n);
  assert.equal(d.anomalies, n / 50);
  assert.equal(d.normalPairs.size, MAX_PAIRS);
  assert.equal(d.anomalousPairs.size, MAX_PAIRS);
  const drawn = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  assert.equal(drawn(d.normalPairs) + drawn(d.anomalousPairs) + d.normalNotDrawn + d.anomalousNotDrawn, n, 'every flow drawn or counted');
  assert.ok(d.buckets.size <= 240, `${d.buckets.size} buckets`);
  const inBuckets = [...d.buckets.values()].reduce((a, [f]) => a + f, 0);
  assert.equal(inBuckets, n, 'widening keeps every flow');
  assert.equal(d.bucketUs % 1e6, 0);
  assert.ok(d.bucketUs >= ((n * 0.05) / 240) * 1e6, `bucket ${d.bucketUs / 1e6} s covers ${n * 0.05} s in at most 240 bars`);
});

test('writePlots writes the three files atomically, no temporary left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-plots-'));
  await writePlots(scanData(10), atomicallyInto(dir), plotFont);
  assert.deepEqual(readdirSync(dir).sort(), [...PLOT_FILES].sort());
  for (const f of PLOT_FILES) decode(readFileSync(join(dir, f)));
});

test('empty data renders valid plots', async () => {
  for (const spec of [scatterSpec, timelineSpec, topSourcesSpec]) {
    const png = decode(await renderPng(spec(new PlotData()), plotFont));
    assert.ok(png.width > 100 && png.height > 50);
  }
});
