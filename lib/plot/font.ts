// A 5x7 bitmap font for plot labels: digits, capitals (lower case is drawn as capitals)
// and the punctuation axis labels need. Each glyph is 7 rows of 5 bits.
import type { Raster, Rgb } from './png.ts';

const G: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14], P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  ' ': [0, 0, 0, 0, 0, 0, 0], '.': [0, 0, 0, 0, 0, 12, 12], ',': [0, 0, 0, 0, 12, 4, 8], ':': [0, 12, 12, 0, 12, 12, 0],
  '-': [0, 0, 0, 31, 0, 0, 0], '(': [2, 4, 8, 8, 8, 4, 2], ')': [8, 4, 2, 2, 2, 4, 8], '/': [1, 1, 2, 4, 8, 16, 16],
  '=': [0, 0, 31, 0, 31, 0, 0], '%': [24, 25, 2, 4, 8, 19, 3], '+': [0, 4, 4, 31, 4, 4, 0], '_': [0, 0, 0, 0, 0, 0, 31],
};

export const GLYPH_W = 6;
export const GLYPH_H = 8;

export function textWidth(s: string, scale = 1): number {
  return s.length * GLYPH_W * scale;
}

/** Draws `s` with its top-left corner at (x, y). */
export function drawText(r: Raster, s: string, x: number, y: number, c: Rgb, scale = 1): void {
  for (let i = 0; i < s.length; i++) {
    const g = G[s[i]!.toUpperCase()] ?? G[' ']!;
    for (let row = 0; row < 7; row++)
      for (let col = 0; col < 5; col++)
        if (g[row]! & (1 << (4 - col))) r.rect(x + (i * GLYPH_W + col) * scale, y + row * scale, scale, scale, c);
  }
}

/** Draws `s` rotated 90° counter-clockwise (for a vertical axis title), bottom at y. */
export function drawTextVertical(r: Raster, s: string, x: number, y: number, c: Rgb): void {
  for (let i = 0; i < s.length; i++) {
    const g = G[s[i]!.toUpperCase()] ?? G[' ']!;
    for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if (g[row]! & (1 << (4 - col))) r.set(x + row, y - i * GLYPH_W - col, c);
  }
}
