// plots.*: what the plots cost on a large run. Rows: the time each scored row adds for the
// plots (PlotData.add) beside the sink's whole per-row work (CsvWriter.write, which
// includes that add), on 1 M synthetic scored flows (an hour of office traffic, 5 %
// anomalous: a port scan and a SYN flood, so the port pairs reach their caps). Render: the
// three PNGs from that 1 M-flow data beside the same from a 1 k-flow run: the data is
// bounded, so the large run should render in about the same time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScoredFlow } from '../lib/avro/records.ts';
import { defaultsOf } from '../lib/config/index.ts';
import { plotSettings } from '../lib/config/stages.ts';
import { CsvWriter } from '../lib/pipeline/csv.ts';
import { PLOTS } from '../lib/pipeline/plot.ts';
import { PlotData } from '../lib/plot/data.ts';
import { renderPng } from '../lib/plot/render.ts';
import { makeFlow } from '../test/helpers/flows.ts';
import { emit, median } from './util.ts';

const N = 1_000_000;
const BATCH = 512;
const T0 = 1.7e15;
const { plotFont } = defaultsOf(plotSettings);

/** Deterministic scored flows: benign ephemeral -> service ports, 5 % scan/flood anomalies. */
function rows(n: number): ScoredFlow[] {
  const services = [443, 80, 53, 22, 123, 8080, 3389, 993];
  const out: ScoredFlow[] = [];
  for (let i = 0; i < n; i++) {
    const anomalous = i % 20 === 0;
    const flow = makeFlow({
      flow_id: `f${i}`,
      ts_start: T0 + Math.floor((i / n) * 3600e6),
      src_ip: anomalous ? (i % 40 === 0 ? '10.0.0.66' : `198.51.100.${i % 250}`) : `10.0.0.${10 + (i % 50)}`,
      src_port: anomalous && i % 40 === 0 ? 51000 : 32768 + ((i * 7919) % 28000),
      dst_port: anomalous ? (i % 40 === 0 ? 1 + (i % 1024) : 80) : services[i % services.length]!,
    });
    out.push({ flow, score: anomalous ? -0.7 : -0.45, anomaly: anomalous ? -1 : 1, threshold: -0.6, model_id: 'bench', feature_version: 'v1', reasons: anomalous ? [`dst ports contacted by the source in the window = ${i % 900} (baseline p99 = 6)`] : [], scored_at: 0 });
  }
  return out;
}

async function renderAll(d: PlotData): Promise<number> {
  const t = performance.now();
  for (const [, spec] of PLOTS) await renderPng(spec(d), plotFont);
  return performance.now() - t;
}

async function main(): Promise<void> {
  const scored = rows(N);
  // Plot data alone, per row.
  const adds: number[] = [];
  let big = new PlotData();
  for (let r = 0; r < 3; r++) {
    big = new PlotData();
    const t = performance.now();
    for (const s of scored) big.add(s.flow.src_ip, s.flow.src_port, s.flow.dst_port, s.flow.ts_start, s.anomaly === -1, s.reasons);
    adds.push(((performance.now() - t) * 1e6) / N);
  }
  emit('plots.row_ns', 'PlotData.add', median(adds), 'ns/row');
  // The sink's whole per-row work (CSV row, dedupe, plot data), written to a temporary file.
  const dir = mkdtempSync(join(tmpdir(), 'nids-bench-plots-'));
  const writes: number[] = [];
  for (let r = 0; r < 3; r++) {
    const path = join(dir, `r${r}.csv`);
    const csv = new CsvWriter(path, false);
    const t = performance.now();
    for (let i = 0; i < N; i += BATCH) csv.write(scored.slice(i, i + BATCH));
    writes.push(((performance.now() - t) * 1e6) / N);
    csv.close();
    rmSync(path);
  }
  rmSync(dir, { recursive: true });
  emit('plots.row_ns', 'CsvWriter.write (includes PlotData.add)', median(writes), 'ns/row');

  const small = new PlotData();
  for (const s of scored.slice(0, 1000)) small.add(s.flow.src_ip, s.flow.src_port, s.flow.dst_port, s.flow.ts_start, s.anomaly === -1, s.reasons);
  await renderAll(small); // warm-up: vega's and resvg's first calls load code
  const renderSmall: number[] = [];
  const renderBig: number[] = [];
  for (let r = 0; r < 3; r++) {
    renderSmall.push(await renderAll(small));
    renderBig.push(await renderAll(big));
  }
  emit('plots.render_ms', '3 PNGs, 1 k flows', median(renderSmall), 'ms');
  emit('plots.render_ms', `3 PNGs, 1 M flows (${big.normalPairs.size + big.anomalousPairs.size} port pairs drawn)`, median(renderBig), 'ms');
}

await main();
