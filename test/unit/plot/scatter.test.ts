import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { PNG_SIGNATURE, Raster, crc32, crc32Table, encodePng } from '../../../lib/plot/png.ts';
import { GLYPH_W, drawText, hasGlyph, textWidth } from '../../../lib/plot/font.ts';
import { COLORS, DEFAULT_TITLE, groupThousands, renderPortScatter, scatterLayout, writePortScatter, type PortPoints } from '../../../lib/plot/scatter.ts';

interface Decoded {
  width: number;
  height: number;
  colorType: number;
  chunks: string[];
  /** RGB(A) pixels, filter bytes removed. */
  pixels: Uint8Array;
  channels: number;
}

/** An independent reader: checks the signature, every chunk's CRC and the filter bytes. */
function decodePng(png: Uint8Array): Decoded {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let ihdr: Buffer | undefined;
  let o = 8;
  while (o < buf.length) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    const data = buf.subarray(o + 8, o + 8 + len);
    assert.ok(o + 12 + len <= buf.length, `chunk ${type} runs past the end`);
    assert.equal(buf.readUInt32BE(o + 8 + len), crc32Table(buf, o + 4, o + 8 + len), `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  assert.equal(o, buf.length, 'nothing after the last chunk');
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks.at(-1), 'IEND');
  assert.ok(ihdr && ihdr.length === 13);
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  assert.equal(ihdr[8], 8, 'bit depth');
  assert.deepEqual([ihdr[10], ihdr[11], ihdr[12]], [0, 0, 0], 'compression, filter, interlace');
  const colorType = ihdr[9]!;
  const channels = colorType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height, 'IDAT holds exactly height rows');
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0, `row ${y} filter byte`);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colorType, chunks, pixels, channels };
}

const rgb = (d: Decoded, x: number, y: number): [number, number, number] => {
  const o = (y * d.width + x) * d.channels;
  return [d.pixels[o]!, d.pixels[o + 1]!, d.pixels[o + 2]!];
};
const isRed = ([r, g, b]: number[]) => r! > 150 && g! < 90 && b! < 90;
const isGreen = ([r, g, b]: number[]) => g! > r! + 40 && g! > b! + 30;
const WHITE = [255, 255, 255];

test('crc32: the check value, native and table agree', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32Table(check), 0xcbf43926);
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32(check, 2, 7), crc32Table(check, 2, 7));
  assert.equal(crc32(new Uint8Array(0)), 0);
  const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
  assert.equal(crc32(big), crc32Table(big));
  if (typeof zlib.crc32 === 'function') assert.equal(crc32(big), zlib.crc32(big) >>> 0);
});

test('encodePng: RGB and RGBA round-trip through an independent decoder', () => {
  const px = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const d = decodePng(encodePng(2, 2, px));
  assert.equal(d.width, 2);
  assert.equal(d.height, 2);
  assert.equal(d.colorType, 2);
  assert.deepEqual(d.chunks, ['IHDR', 'IDAT', 'IEND']);
  assert.deepEqual([...d.pixels], [...px]);
  const rgba = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]).subarray(0, 8);
  const d4 = decodePng(encodePng(2, 1, rgba, 4));
  assert.equal(d4.colorType, 6);
  assert.deepEqual([...d4.pixels], [...rgba]);
  assert.deepEqual([...encodePng(1, 1, new Uint8Array(3)).subarray(0, 8)], [...PNG_SIGNATURE]);
  assert.throws(() => encodePng(2, 2, new Uint8Array(11)), RangeError);
  assert.throws(() => encodePng(0, 2, new Uint8Array(0)), RangeError);
});

test('Raster: drawing clips to the image, blending moves toward the colour', () => {
  const r = new Raster(4, 3);
  r.fillRect(-2, -2, 4, 4, [0, 0, 0]);
  r.fillRect(3, 2, 10, 10, [9, 9, 9]);
  r.set(100, 100, [1, 1, 1]);
  assert.deepEqual(r.get(0, 0), [0, 0, 0]);
  assert.deepEqual(r.get(1, 1), [0, 0, 0]);
  assert.deepEqual(r.get(2, 2), [255, 255, 255]);
  assert.deepEqual(r.get(3, 2), [9, 9, 9]);
  r.blendRect(2, 0, 1, 1, [0, 255, 0], 128);
  const [red, g] = r.get(2, 0);
  assert.ok(red > 100 && red < 150 && g === 255, `half-way blend, got ${r.get(2, 0)}`);
  r.blendRect(2, 0, 1, 1, [0, 255, 0], 256);
  assert.deepEqual(r.get(2, 0), [0, 255, 0]);
});

test('font: every character the brief asks for has a glyph, and text draws ink', () => {
  for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:-_()/%=+') assert.ok(hasGlyph(ch), `glyph for ${JSON.stringify(ch)}`);
  assert.equal(textWidth('abc'), 3 * GLYPH_W - 1);
  assert.equal(textWidth('abc', 2), 2 * (3 * GLYPH_W - 1));
  const r = new Raster(40, 12);
  drawText(r, 'Ag', 1, 1, [0, 0, 0]);
  let ink = 0;
  for (let i = 0; i < r.pixels.length; i += 3) if (r.pixels[i] === 0) ink++;
  assert.ok(ink > 20, `some ink, got ${ink}`);
});

test('groupThousands is locale-free', () => {
  assert.equal(groupThousands(0), '0');
  assert.equal(groupThousands(999), '999');
  assert.equal(groupThousands(1000), '1,000');
  assert.equal(groupThousands(1234567), '1,234,567');
  assert.equal(groupThousands(-12345), '-12,345');
});

const SAMPLE: PortPoints = {
  srcPort: [40000, 54321, 33000, 33000],
  dstPort: [443, 22, 4444, 4444],
  anomaly: [1, -1, 1, -1], // the last two share a position: the cross must win
};

test('renders a valid 1200x800 PNG with a green dot, red crosses and white background where they are', () => {
  const png = renderPortScatter(SAMPLE);
  const d = decodePng(png);
  assert.equal(d.width, 1200);
  assert.equal(d.height, 800);
  assert.equal(d.colorType, 2);
  const L = scatterLayout();
  assert.equal(L.scale, 'ports');

  const nx = L.x(40000);
  const ny = L.y(443);
  for (const [dx, dy] of [[0, 0], [-1, -1], [1, 1], [1, -1]]) assert.ok(isGreen(rgb(d, nx + dx!, ny + dy!)), `normal dot at ${nx + dx!},${ny + dy!}: ${rgb(d, nx + dx!, ny + dy!)}`);

  const ax = L.x(54321);
  const ay = L.y(22);
  for (const [dx, dy] of [[0, 0], [-2, -2], [2, 2], [-2, 2], [2, -2], [1, 1]]) assert.deepEqual(rgb(d, ax + dx!, ay + dy!), [...COLORS.anomalous], `cross at +${dx},+${dy}`);
  assert.ok(!isRed(rgb(d, ax + 1, ay)) && !isRed(rgb(d, ax, ay + 2)), 'a cross, not a square');

  assert.deepEqual(rgb(d, L.x(33000), L.y(4444)), [...COLORS.anomalous], 'anomalies are drawn over normal dots');

  // Between grid lines, away from every point: background.
  const ex = Math.round((L.x(16384) + L.x(24576)) / 2);
  const ey = Math.round((L.y(16384) + L.y(24576)) / 2);
  assert.deepEqual(rgb(d, ex, ey), WHITE);
  assert.deepEqual(rgb(d, 2, 2), WHITE, 'the corner');
});

test('port 0 and 65535 land inside the frame, not on it', () => {
  const L = scatterLayout();
  const { left, top, right, bottom } = L.frame;
  assert.ok(L.x(0) - 2 > left && L.x(65535) + 2 < right);
  assert.ok(L.y(0) + 2 < bottom && L.y(65535) - 2 > top);
  for (const scale of ['ports', 'log', 'linear'] as const) {
    const l = scatterLayout({ scale });
    let prev = -Infinity;
    for (let p = 0; p <= 65535; p += 97) {
      assert.ok(l.x(p) >= prev, `${scale}: x is monotonic at ${p}`);
      prev = l.x(p);
    }
    assert.ok(l.y(0) > l.y(65535), `${scale}: higher ports are higher up`);
  }
  // 'ports': log1p below 1024 on the first 40 % of the axis, linear above.
  const p = scatterLayout({ scale: 'ports' });
  const span = p.x(65535) - p.x(0);
  assert.ok(Math.abs(p.x(1024) - p.x(0) - 0.4 * span) <= 1);
  assert.ok(Math.abs(p.x(33280) - p.x(1024) - 0.3 * span) <= 1);
  assert.ok(p.x(53) - p.x(22) > 20 && p.x(443) - p.x(80) > 20, 'well-known ports apart');
});

test('same input, same bytes; arrays and typed arrays give the same image', () => {
  const a = renderPortScatter(SAMPLE);
  const b = renderPortScatter(SAMPLE);
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
  const typed = renderPortScatter({ srcPort: Float64Array.from(SAMPLE.srcPort as number[]), dstPort: Float64Array.from(SAMPLE.dstPort as number[]), anomaly: Int8Array.from(SAMPLE.anomaly as number[]) });
  assert.deepEqual(Buffer.from(typed), Buffer.from(a));
  assert.notDeepEqual(Buffer.from(renderPortScatter(SAMPLE, { title: 'other' })), Buffer.from(a));
});

test('empty input renders a valid plot with no points', () => {
  const d = decodePng(renderPortScatter({ srcPort: [], dstPort: [], anomaly: new Int8Array(0) }));
  assert.equal(d.width, 1200);
  assert.equal(d.height, 800);
  const { left, top, right, bottom } = scatterLayout().frame;
  for (let y = top; y <= bottom; y++)
    for (let x = left; x <= right; x++) {
      const c = rgb(d, x, y);
      assert.ok(!isRed(c) && !isGreen(c), `no point drawn at ${x},${y}`);
    }
});

test('options: size, scales, title; bad input is refused or skipped', () => {
  for (const scale of ['ports', 'log', 'linear'] as const) {
    const d = decodePng(renderPortScatter(SAMPLE, { width: 640, height: 480, scale, title: `scale ${scale}` }));
    assert.equal(d.width, 640);
    assert.equal(d.height, 480);
    const L = scatterLayout({ width: 640, height: 480, scale });
    assert.deepEqual(rgb(d, L.x(54321), L.y(22)), [...COLORS.anomalous], scale);
  }
  const tiny = decodePng(renderPortScatter(SAMPLE, { width: 320, height: 240, title: 'x'.repeat(200) }));
  assert.equal(tiny.width, 320);
  assert.throws(() => renderPortScatter(SAMPLE, { width: 100 }), RangeError);
  assert.throws(() => renderPortScatter(SAMPLE, { width: 1000.5 }), RangeError);
  assert.throws(() => renderPortScatter(SAMPLE, { scale: 'cubic' as 'log' }), RangeError);
  assert.throws(() => renderPortScatter({ srcPort: [1], dstPort: [1, 2], anomaly: [1] }), RangeError);
  // NaN, negative and out-of-range ports are counted but not drawn; fractional ones round.
  const d = decodePng(renderPortScatter({ srcPort: [NaN, -1, 70000, 40000.4], dstPort: [1, 1, 1, 80], anomaly: [-1, -1, 1, -1] }));
  const L = scatterLayout();
  assert.deepEqual(rgb(d, L.x(40000), L.y(80)), [...COLORS.anomalous]);
  assert.ok(!isRed(rgb(d, L.x(0), L.y(1))));
  assert.equal(DEFAULT_TITLE, 'nids: source vs destination port');
});

test('writePortScatter writes the same bytes atomically and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-plot-'));
  const path = join(dir, 'anomaly_plot.png');
  writePortScatter(path, SAMPLE, { scale: 'log' });
  writePortScatter(path, SAMPLE, { scale: 'log' }); // replaces
  assert.deepEqual(readFileSync(path), Buffer.from(renderPortScatter(SAMPLE, { scale: 'log' })));
  assert.deepEqual(readdirSync(dir), ['anomaly_plot.png']);
  assert.throws(() => writePortScatter(join(dir, 'missing', 'x.png'), SAMPLE));
  assert.deepEqual(readdirSync(dir), ['anomaly_plot.png']);
});

test('a million points render in reasonable time', () => {
  const n = 1_000_000;
  const src = new Float64Array(n);
  const dst = new Float64Array(n);
  const an = new Int8Array(n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    src[i] = seed & 0xffff;
    dst[i] = (seed >>> 8) & 0xffff;
    an[i] = i % 50 === 0 ? -1 : 1;
  }
  const t = performance.now();
  const d = decodePng(renderPortScatter({ srcPort: src, dstPort: dst, anomaly: an }));
  const ms = performance.now() - t;
  assert.equal(d.width, 1200);
  assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
});
