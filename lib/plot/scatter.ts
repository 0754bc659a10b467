// anomaly_plot.png: source port (x) against destination port (y) for every scored flow;
// green dots normal, red crosses anomalous, drawn last so they stay visible on top.
// Ports are on a log1p scale by default: the well-known ports that matter crowd below
// 1024 and would be a smear on a linear axis.
import { renameSync, writeFileSync } from 'node:fs';
import { Raster, type Rgb } from './png.ts';
import { drawText, drawTextVertical, textWidth } from './font.ts';

export interface PortPoints {
  srcPort: ArrayLike<number>;
  dstPort: ArrayLike<number>;
  anomaly: ArrayLike<number>;
}

export interface ScatterOptions {
  width?: number;
  height?: number;
  title?: string;
  scale?: 'log' | 'linear';
}

const GREEN: Rgb = [46, 160, 67];
const RED: Rgb = [214, 39, 40];
const AXIS: Rgb = [60, 60, 60];
const GRID: Rgb = [232, 232, 232];
const TICKS = [0, 10, 100, 1024, 8192, 32768, 65535];
const MAX_PORT = 65535;

export function renderPortScatter(points: PortPoints, opts: ScatterOptions = {}): Uint8Array {
  const W = opts.width ?? 1200;
  const H = opts.height ?? 800;
  const log = (opts.scale ?? 'log') === 'log';
  const r = new Raster(W, H);
  const left = 90;
  const right = W - 30;
  const top = 60;
  const bottom = H - 70;
  const f = (p: number) => (log ? Math.log1p(Math.max(0, p)) / Math.log1p(MAX_PORT) : Math.max(0, p) / MAX_PORT);
  const px = (p: number) => left + f(p) * (right - left);
  const py = (p: number) => bottom - f(p) * (bottom - top);
  const ticks = log ? TICKS : [0, 8192, 16384, 32768, 49152, 65535];
  for (const t of ticks) {
    r.line(px(t), top, px(t), bottom, GRID);
    r.line(left, py(t), right, py(t), GRID);
    const label = String(t);
    drawText(r, label, Math.round(px(t) - textWidth(label) / 2), bottom + 8, AXIS);
    drawText(r, label, left - 8 - textWidth(label), Math.round(py(t) - 3), AXIS);
  }
  r.line(left, bottom, right, bottom, AXIS);
  r.line(left, top, left, bottom, AXIS);
  const xTitle = `source port${log ? ' (log scale)' : ''}`;
  drawText(r, xTitle, Math.round((left + right - textWidth(xTitle)) / 2), H - 35, AXIS);
  drawTextVertical(r, `destination port${log ? ' (log scale)' : ''}`, 18, Math.round((top + bottom) / 2 + 80), AXIS);
  const title = opts.title ?? 'nids: source vs destination port';
  drawText(r, title, Math.round((W - textWidth(title, 2)) / 2), 18, [20, 20, 20], 2);

  const n = points.srcPort.length;
  let anomalies = 0;
  for (let i = 0; i < n; i++) {
    if (points.anomaly[i] === -1) {
      anomalies++;
      continue;
    }
    r.rect(Math.round(px(points.srcPort[i]!)) - 1, Math.round(py(points.dstPort[i]!)) - 1, 3, 3, GREEN);
  }
  for (let i = 0; i < n; i++) {
    if (points.anomaly[i] !== -1) continue;
    const x = Math.round(px(points.srcPort[i]!));
    const y = Math.round(py(points.dstPort[i]!));
    for (let d = -3; d <= 3; d++) {
      r.set(x + d, y + d, RED);
      r.set(x + d, y - d, RED);
    }
  }
  // Legend, top right inside the plot area.
  const lx = right - 230;
  r.rect(lx - 10, top + 8, 235, 44, [250, 250, 250]);
  r.rect(lx, top + 16, 5, 5, GREEN);
  drawText(r, `normal (${n - anomalies})`, lx + 14, top + 15, AXIS);
  for (let d = -3; d <= 3; d++) {
    r.set(lx + 2 + d, top + 38 + d, RED);
    r.set(lx + 2 + d, top + 38 - d, RED);
  }
  drawText(r, `anomalous (${anomalies})`, lx + 14, top + 35, AXIS);
  return r.toPng();
}

/** Writes atomically: readers never see half a file. */
export function writePortScatter(path: string, points: PortPoints, opts: ScatterOptions = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, renderPortScatter(points, opts));
  renameSync(tmp, path);
}
