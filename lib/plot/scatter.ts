// anomaly_plot.png: source port (x) against destination port (y) for every scored flow;
// green dots are normal (anomaly 1), red crosses anomalous (anomaly -1), drawn after all
// the dots so they stay visible on top. What it shows at a glance: a vertical line of
// red crosses is one source port sweeping destination ports (a port scan), a horizontal
// one is many source ports hitting one destination port (a flood, or a C2 port such as
// 4444); an isolated cross is an odd port pair.
//
// Scale: 'ports' is the default - log1p below 1024, linear from 1024 up, the two halves
// meeting at the privileged-port boundary (40% / 60% of the axis; the 1024 grid line is
// drawn darker to mark the change). Why not one of the plain scales:
// - linear: the ports an analyst reads first - 22, 53, 80, 123, 443 - all fall in the
//   bottom 1% of the axis, one smear, and a scan of 1-1024 is squashed into it;
// - log (log1p): those ports become separate rows, but the ephemeral range 32768-60999,
//   where nearly every client source port is, is squeezed into the last 6% of the axis,
//   so a flood or a C2 port hit from many source ports is a blob rather than a line.
// The hybrid keeps the well-known ports legible and gives the ephemeral range a quarter
// of the axis. 'log' and 'linear' remain available; the subtitle names the scale.
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { Raster, type Rgb } from './png.ts';
import { CAP_H, GLYPH_W, drawText, drawTextUp, textWidth } from './font.ts';

export interface PortPoints {
  srcPort: ArrayLike<number>;
  dstPort: ArrayLike<number>;
  /** 1 normal, -1 anomalous (anything but -1 counts as normal). */
  anomaly: ArrayLike<number>;
}

export type Scale = 'ports' | 'log' | 'linear';

export interface ScatterOptions {
  /** Pixels; default 1200. */
  width?: number;
  /** Pixels; default 800. */
  height?: number;
  /** Default "nids: source vs destination port". */
  title?: string;
  /** Default 'ports' (log1p below 1024, linear above), see the note at the top of this file. */
  scale?: Scale;
}

export const DEFAULT_TITLE = 'nids: source vs destination port';
const MAX_PORT = 65535;

export const COLORS = {
  background: [255, 255, 255] as Rgb,
  normal: [26, 152, 80] as Rgb,
  anomalous: [215, 25, 28] as Rgb,
  text: [40, 40, 40] as Rgb,
  muted: [110, 110, 110] as Rgb,
  frame: [150, 150, 150] as Rgb,
  grid: [234, 234, 234] as Rgb,
  gridStrong: [200, 200, 200] as Rgb,
} as const;

/** Opacity of one normal dot, out of 256: overlapping dots darken, so density shows. */
const NORMAL_ALPHA = 150;
/** Half-size of the anomalous cross: 5 x 5 pixels. */
const CROSS_R = 2;
/** Gap between the frame and the points at port 0 / 65535, so they never sit on it. */
const INSET = 7;

/** Ticks in order of importance: a label that would collide with a more important one is left off. */
const LOG_TICKS = [0, 1024, 65535, 443, 80, 22, 32768, 53, 8080, 3389, 123, 10];
const PORTS_TICKS = [0, 1024, 65535, 443, 80, 22, 32768, 53, 16384, 49152, 8192, 24576, 40960, 57344, 123, 10];
const LINEAR_TICKS = [0, 32768, 65535, 16384, 49152, 8192, 1024, 24576, 40960, 57344];

/** Where each plotted element lands, for tests and callers that annotate the image. */
export interface ScatterLayout {
  scale: Scale;
  width: number;
  height: number;
  /** The plot frame: left, top, right, bottom (inclusive pixel coordinates). */
  frame: { left: number; top: number; right: number; bottom: number };
  /** Pixel column of a source port. */
  x(port: number): number;
  /** Pixel row of a destination port. */
  y(port: number): number;
}

const LOG_MAX = Math.log1p(MAX_PORT);
const SPLIT = 0.4;
const NORM: Record<Scale, (p: number) => number> = {
  log: (p: number) => Math.log1p(p) / LOG_MAX,
  linear: (p: number) => p / MAX_PORT,
  ports: (p: number) => (p < 1024 ? (SPLIT * Math.log1p(p)) / Math.log1p(1024) : SPLIT + ((1 - SPLIT) * (p - 1024)) / (MAX_PORT - 1024)),
};

export function scatterLayout(opts: ScatterOptions = {}): ScatterLayout {
  const width = opts.width ?? 1200;
  const height = opts.height ?? 800;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 320 || height < 240 || width > 16384 || height > 16384)
    throw new RangeError(`plot size must be integers from 320x240 to 16384x16384, got ${width}x${height}`);
  const scale = opts.scale ?? 'ports';
  const frame = { left: 84, top: 72, right: width - 28, bottom: height - 58 };
  const norm = NORM[scale];
  if (typeof norm !== 'function') throw new RangeError(`scale must be 'ports', 'log' or 'linear', got ${String(scale)}`);
  const x0 = frame.left + INSET;
  const xSpan = frame.right - INSET - x0;
  const y0 = frame.bottom - INSET;
  const ySpan = y0 - (frame.top + INSET);
  const clamp = (p: number) => Math.min(MAX_PORT, Math.max(0, p));
  return {
    scale,
    width,
    height,
    frame,
    x: (p) => Math.round(x0 + norm(clamp(p)) * xSpan),
    y: (p) => Math.round(y0 - norm(clamp(p)) * ySpan),
  };
}

/** 1234567 -> "1,234,567" (fixed, not locale-dependent, so the bytes are reproducible). */
export function groupThousands(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? `-${out}` : out;
}

const SCALE_NOTE: Record<Scale, string> = {
  ports: 'Axes: log below port 1024, linear above',
  log: 'Axes: log scale',
  linear: 'Axes: linear',
};

/** Cuts `s` to at most `width` pixels (scale 1), ending in '..' when cut. */
function fit(s: string, width: number): string {
  if (textWidth(s) <= width) return s;
  const keep = Math.max(0, Math.floor((width + 1) / GLYPH_W) - 2);
  return `${s.slice(0, keep)}..`;
}

function drawCross(r: Raster, x: number, y: number, c: Rgb): void {
  for (let d = -CROSS_R; d <= CROSS_R; d++) {
    r.set(x + d, y + d, c);
    r.set(x + d, y - d, c);
  }
}

/** Renders the scatter plot and returns the PNG bytes. Same input, same bytes. */
export function renderPortScatter(points: PortPoints, opts: ScatterOptions = {}): Uint8Array {
  const n = points.srcPort.length;
  if (points.dstPort.length !== n || points.anomaly.length !== n)
    throw new RangeError(`srcPort, dstPort and anomaly must have the same length (${n}, ${points.dstPort.length}, ${points.anomaly.length})`);
  const L = scatterLayout(opts);
  const scale = L.scale;
  const { left, top, right, bottom } = L.frame;
  const r = new Raster(L.width, L.height, COLORS.background);

  // Port -> pixel, once per port rather than a log1p per point.
  const xOf = new Int32Array(MAX_PORT + 1);
  const yOf = new Int32Array(MAX_PORT + 1);
  for (let p = 0; p <= MAX_PORT; p++) {
    xOf[p] = L.x(p);
    yOf[p] = L.y(p);
  }

  // Grid, ticks and tick labels; labels that would overlap a more important one are skipped.
  const ticks = scale === 'log' ? LOG_TICKS : scale === 'ports' ? PORTS_TICKS : LINEAR_TICKS;
  const strong = (t: number) => scale === 'ports' && t === 1024;
  const xTaken: [number, number][] = [];
  const yTaken: [number, number][] = [];
  const free = (taken: [number, number][], a: number, b: number) => taken.every(([c, d]) => b + 6 <= c || a >= d + 6);
  for (const t of ticks) {
    const x = xOf[t]!;
    const label = String(t);
    const lw = textWidth(label);
    const lx = Math.min(Math.max(x - (lw >> 1), left - lw), right + 20 - lw);
    if (free(xTaken, lx, lx + lw)) {
      xTaken.push([lx, lx + lw]);
      r.vline(x, top + 1, bottom - 1, strong(t) ? COLORS.gridStrong : COLORS.grid);
      r.vline(x, bottom + 1, bottom + 4, COLORS.frame);
      drawText(r, label, lx, bottom + 9, COLORS.text);
    }
    const y = yOf[t]!;
    const ly = y - (CAP_H >> 1);
    if (free(yTaken, ly, ly + CAP_H)) {
      yTaken.push([ly, ly + CAP_H]);
      r.hline(left + 1, right - 1, y, strong(t) ? COLORS.gridStrong : COLORS.grid);
      r.hline(left - 4, left - 1, y, COLORS.frame);
      drawText(r, label, left - 8 - lw, ly, COLORS.text);
    }
  }
  r.strokeRect(left, top, right - left + 1, bottom - top + 1, COLORS.frame);

  const xTitle = 'source port';
  drawText(r, xTitle, Math.round((left + right - textWidth(xTitle)) / 2), bottom + 30, COLORS.text);
  const yTitle = 'destination port';
  drawTextUp(r, yTitle, 18, Math.round((top + bottom + textWidth(yTitle)) / 2), COLORS.text);

  // Points: every normal dot first, then every anomalous cross on top.
  const src = points.srcPort;
  const dst = points.dstPort;
  const an = points.anomaly;
  let anomalous = 0;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i]!;
    const d = dst[i]!;
    if (!(s >= 0 && d >= 0 && s <= MAX_PORT && d <= MAX_PORT)) {
      skipped++;
      if (an[i] === -1) anomalous++;
      continue;
    }
    if (an[i] === -1) {
      anomalous++;
      continue;
    }
    r.blendRect(xOf[Math.round(s)]! - 1, yOf[Math.round(d)]! - 1, 3, 3, COLORS.normal, NORMAL_ALPHA);
  }
  if (anomalous > 0)
    for (let i = 0; i < n; i++) {
      if (an[i] !== -1) continue;
      const s = src[i]!;
      const d = dst[i]!;
      if (!(s >= 0 && d >= 0 && s <= MAX_PORT && d <= MAX_PORT)) continue;
      drawCross(r, xOf[Math.round(s)]!, yOf[Math.round(d)]!, COLORS.anomalous);
    }
  if (n === 0) {
    const msg = 'no flows scored yet';
    drawText(r, msg, Math.round((left + right - textWidth(msg, 2)) / 2), Math.round((top + bottom) / 2 - CAP_H), COLORS.muted, 2);
  }

  // Legend on the right above the frame; title and subtitle on the left, in what room is left.
  const normalLabel = `normal (${groupThousands(n - anomalous)})`;
  const anomalousLabel = `anomalous (${groupThousands(anomalous)})`;
  const lx = right - 16 - Math.max(textWidth(normalLabel), textWidth(anomalousLabel));
  r.fillRect(lx, 20, 5, 5, COLORS.normal);
  drawText(r, normalLabel, lx + 16, 19, COLORS.text);
  drawCross(r, lx + 2, 46, COLORS.anomalous);
  drawText(r, anomalousLabel, lx + 16, 43, COLORS.text);
  const room = lx - 24 - left;
  const title = opts.title ?? DEFAULT_TITLE;
  const big = textWidth(title, 2) <= room;
  drawText(r, fit(title, big ? Math.floor(room / 2) : room), left, big ? 18 : 22, COLORS.text, big ? 2 : 1);
  const parts = [`${groupThousands(n)} flow${n === 1 ? '' : 's'}`];
  if (n > 0) parts[0] += `, ${((100 * anomalous) / n).toFixed(1)}% anomalous`;
  if (skipped > 0) parts.push(`${groupThousands(skipped)} without valid ports not drawn`);
  parts.push(SCALE_NOTE[scale]);
  let subtitle = parts[0]!;
  for (const p of parts.slice(1)) if (textWidth(`${subtitle}. ${p}`) <= room) subtitle += `. ${p}`;
  drawText(r, fit(subtitle, room), left, 44, COLORS.muted);
  return r.toPng();
}

/**
 * Renders and writes the plot atomically (a temporary file in the same directory, then
 * a rename), so a reader never sees half an image.
 */
export function writePortScatter(path: string, points: PortPoints, opts: ScatterOptions = {}): void {
  const png = renderPortScatter(points, opts);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, png);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written, or already renamed
    }
    throw err;
  }
}
