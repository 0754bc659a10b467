// The Vega-Lite specifications of the three plots, built from PlotData. The same specs are
// rendered to PNG files (lib/plot/render.ts) and, in the browser, by the dashboard
// (lib/dashboard/), so a person sees the same pictures live and in files.
import type { TopLevelSpec } from 'vega-lite';
import type { PlotData } from './data.ts';

export const COLORS = { normal: '#2ca02c', anomalous: '#d62728', flows: '#4c78a8', incident: '#ff7f0e' } as const;

/** Ports labelled by name on the scatter's axes (a symlog scale keeps them apart). */
export const WELL_KNOWN_PORTS: ReadonlyArray<[number, string]> = [
  [0, '0'], [22, '22 ssh'], [53, '53 dns'], [80, '80 http'], [123, '123 ntp'], [443, '443 https'],
  [1024, '1024'], [3389, '3389 rdp'], [8080, '8080 http-alt'], [49152, '49152 ephemeral'], [65535, '65535'],
];
/** The source axis has less room per label: fewer ticks. */
const SOURCE_AXIS_PORTS = [0, 22, 53, 80, 443, 1024, 8080, 49152, 65535];

const FONT = 'DejaVu Sans';
const TOP_SOURCES = 12;
const TOP_REASONS = 2;
const REASON_CHARS = 115;

const thousands = (n: number): string => n.toLocaleString('en-US');
const pct = (part: number, whole: number): string => (whole ? ((100 * part) / whole).toFixed(1) : '0.0');

/** A Vega expression naming the well-known ports, for labelExpr. */
const portLabelExpr = WELL_KNOWN_PORTS.map(([p, name]) => `datum.value == ${p} ? '${name}' : `).join('') + 'datum.label';

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  background: 'white',
  config: { font: FONT, title: { fontSize: 15 }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12, titleFontSize: 12 } },
} as const;

/** anomaly_plot.png: source port vs destination port, green dots normal, red crosses anomalous. */
export function scatterSpec(d: PlotData): TopLevelSpec {
  const normalLabel = `normal (${thousands(d.flows - d.anomalies)})`;
  const anomalousLabel = `anomalous (${thousands(d.anomalies)})`;
  const values: { src: number; dst: number; label: string; flows: number }[] = [];
  for (const [pair, flows] of d.normalPairs) values.push({ src: Math.floor(pair / 65536), dst: pair % 65536, label: normalLabel, flows });
  // Anomalous points last: drawn on top of normal ones at the same ports.
  for (const [pair, flows] of d.anomalousPairs) values.push({ src: Math.floor(pair / 65536), dst: pair % 65536, label: anomalousLabel, flows });
  const notDrawn = d.normalNotDrawn + d.anomalousNotDrawn;
  const portScale = { type: 'symlog' as const, domain: [0, 65535], nice: false };
  return {
    ...base,
    title: {
      text: 'Flows by source and destination port',
      subtitle: `${thousands(d.flows)} flows, ${thousands(d.anomalies)} anomalous (${pct(d.anomalies, d.flows)} %)` + (notDrawn ? `; ${thousands(notDrawn)} flows on port pairs beyond the ${thousands(values.length)} drawn` : ''),
    },
    width: 760,
    height: 460,
    data: { values },
    mark: { type: 'point', filled: true, size: 40, opacity: 0.85 },
    encoding: {
      x: { field: 'src', type: 'quantitative', title: 'source port', scale: portScale, axis: { values: SOURCE_AXIS_PORTS, labelExpr: portLabelExpr, labelAngle: -35, grid: true } },
      y: { field: 'dst', type: 'quantitative', title: 'destination port', scale: portScale, axis: { values: WELL_KNOWN_PORTS.map(([p]) => p), labelExpr: portLabelExpr, grid: true } },
      color: { field: 'label', type: 'nominal', title: null, scale: { domain: [normalLabel, anomalousLabel], range: [COLORS.normal, COLORS.anomalous] }, legend: { orient: 'top-right', symbolSize: 120, labelLimit: 0 } },
      shape: { field: 'label', type: 'nominal', scale: { domain: [normalLabel, anomalousLabel], range: ['circle', 'cross'] } },
      tooltip: [{ field: 'src', title: 'source port' }, { field: 'dst', title: 'destination port' }, { field: 'flows' }, { field: 'label', title: 'label' }],
    },
  };
}

/** timeline.png: flows and anomalies per time bucket, incidents shaded behind them. */
export function timelineSpec(d: PlotData): TopLevelSpec {
  const bucketS = d.bucketUs / 1e6;
  const bars: { t: number; t2: number; series: string; n: number }[] = [];
  for (const [start, [flows, anomalies]] of [...d.buckets].sort((a, b) => a[0] - b[0])) {
    const t = start / 1000;
    const t2 = (start + d.bucketUs) / 1000;
    bars.push({ t, t2, series: 'flows', n: flows });
    if (anomalies > 0) bars.push({ t, t2, series: 'anomalous flows', n: anomalies });
  }
  const incidents = d.incidents.map((i) => ({ t: i.ts_start / 1000, t2: Math.max(i.ts_end, i.ts_start + d.bucketUs) / 1000, series: 'incident', what: `${i.src_ip} ${i.behaviour} (${i.severity})` }));
  const series = { field: 'series', type: 'nominal', title: null, scale: { domain: ['flows', 'anomalous flows', 'incident'], range: [COLORS.flows, COLORS.anomalous, COLORS.incident] }, legend: { orient: 'top-left' } } as const;
  return {
    ...base,
    title: { text: 'Flows and anomalies over time', subtitle: `${thousands(d.flows)} flows, ${thousands(d.anomalies)} anomalous, ${d.incidents.length} incident(s) shaded; ${bucketS} s per bar` },
    width: 760,
    height: 300,
    layer: [
      {
        data: { values: incidents },
        mark: { type: 'rect', opacity: 0.22 },
        encoding: { x: { field: 't', type: 'temporal' }, x2: { field: 't2' }, color: series, tooltip: [{ field: 'what', title: 'incident' }] },
      },
      {
        data: { values: bars },
        mark: { type: 'rect' },
        encoding: {
          x: { field: 't', type: 'temporal', title: 'time (UTC)', axis: { format: '%H:%M:%S' }, scale: { type: 'utc' } },
          x2: { field: 't2' },
          y: { field: 'n', type: 'quantitative', title: 'flows per bar', stack: null },
          color: series,
          tooltip: [{ field: 'series', title: 'series' }, { field: 'n', title: 'flows' }, { field: 't', type: 'temporal', timeUnit: 'utcyearmonthdatehoursminutesseconds', title: 'from' }],
        },
      },
    ],
  };
}

/** top_sources.png: the sources with the most anomalous flows, with their most frequent reasons. */
export function topSourcesSpec(d: PlotData): TopLevelSpec {
  const rows = d.topSources(TOP_SOURCES, TOP_REASONS).map((s, rank) => ({
    ip: s.ip,
    rank,
    anomalies: s.anomalies,
    // One line per reason (Vega draws an array of strings as lines).
    reasons: s.reasons.length ? s.reasons.map((r) => (r.length > REASON_CHARS ? r.slice(0, REASON_CHARS - 1) + '…' : r)) : ['(no reason recorded)'],
  }));
  const y = { field: 'ip', type: 'nominal', title: null, sort: { field: 'rank', order: 'ascending' } } as const;
  const height = Math.max(60, rows.length * 34);
  return {
    ...base,
    title: { text: 'Most anomalous sources', subtitle: `${d.sources.size} source(s) with anomalous flows; the top ${rows.length}, with their most frequent reasons` },
    data: { values: rows },
    hconcat: [
      {
        width: 220,
        height,
        mark: { type: 'bar', color: COLORS.anomalous },
        encoding: { y, x: { field: 'anomalies', type: 'quantitative', title: 'anomalous flows' }, tooltip: [{ field: 'ip' }, { field: 'anomalies' }, { field: 'reasons' }] },
      },
      {
        width: 700,
        height,
        mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 11, lineHeight: 14 },
        encoding: { y: { ...y, axis: null }, x: { value: 4 }, text: { field: 'reasons' } },
        view: { stroke: null },
      },
    ],
  };
}
