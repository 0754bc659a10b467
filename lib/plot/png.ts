// A minimal RGB raster and PNG encoder (node's zlib for deflate): enough for the sink's
// plot, with no native or image dependencies.
//
// PNG layout written: the 8-byte signature, IHDR (size, 8-bit, RGB or RGBA, no
// interlace), one IDAT (zlib stream of the rows, each prefixed by filter byte 0) and
// IEND; every chunk is length, type, data, CRC-32 of type + data.
import * as zlib from 'node:zlib';

export const PNG_SIGNATURE: Readonly<Uint8Array> = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG and zlib use) written out, for runtimes without zlib.crc32. */
export function crc32Table(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// zlib.crc32 is native from Node 20.15 / 22.2; package.json allows any Node 20.
const nativeCrc32: ((data: Uint8Array) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/** CRC-32 of buf[start, end). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  return nativeCrc32 ? nativeCrc32(buf.subarray(start, end)) >>> 0 : crc32Table(buf, start, end);
}

export type Rgb = readonly [number, number, number];

/**
 * Encodes 8-bit RGB (channels 3) or RGBA (channels 4) pixels, row-major, top row
 * first, as a PNG. Deterministic: the same pixels always give the same bytes.
 */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 3 | 4 = 3): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff)
    throw new RangeError(`PNG size must be positive integers, got ${width}x${height}`);
  const stride = width * channels;
  if (pixels.length !== stride * height) throw new RangeError(`expected ${stride * height} bytes of pixels, got ${pixels.length}`);
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type 0 (None)
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2; // colour type: truecolour with alpha / truecolour
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const idat = zlib.deflateSync(raw, { level: 6 });
  const parts = [PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  return new Uint8Array(Buffer.concat(parts));
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** An RGB image in memory. Drawing clips to the image and rounds coordinates to pixels. */
export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new RangeError(`raster size must be positive integers, got ${width}x${height}`);
    this.pixels = new Uint8Array(width * height * 3);
    const [r, g, b] = background;
    for (let o = 0; o < this.pixels.length; o += 3) {
      this.pixels[o] = r;
      this.pixels[o + 1] = g;
      this.pixels[o + 2] = b;
    }
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 3;
    this.pixels[o] = c[0];
    this.pixels[o + 1] = c[1];
    this.pixels[o + 2] = c[2];
  }

  get(x: number, y: number): Rgb {
    const o = (y * this.width + x) * 3;
    return [this.pixels[o]!, this.pixels[o + 1]!, this.pixels[o + 2]!];
  }

  /** Fills the w x h rectangle whose top-left corner is (x, y): blendRect at full opacity. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.blendRect(x, y, w, h, c, 256);
  }

  /** Paints c over the w x h rectangle at (x, y) with opacity alpha256 / 256 (256: replaces it exactly). */
  blendRect(x: number, y: number, w: number, h: number, c: Rgb, alpha256: number): void {
    x = Math.round(x);
    y = Math.round(y);
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + w);
    const y1 = Math.min(this.height, y + h);
    const [r, g, b] = c;
    const px = this.pixels;
    for (let yy = y0; yy < y1; yy++)
      for (let o = (yy * this.width + x0) * 3, end = (yy * this.width + x1) * 3; o < end; o += 3) {
        px[o]! += ((r - px[o]!) * alpha256) >> 8;
        px[o + 1]! += ((g - px[o + 1]!) * alpha256) >> 8;
        px[o + 2]! += ((b - px[o + 2]!) * alpha256) >> 8;
      }
  }

  /** Horizontal line from x0 to x1 inclusive. */
  hline(x0: number, x1: number, y: number, c: Rgb): void {
    this.fillRect(Math.min(x0, x1), y, Math.abs(x1 - x0) + 1, 1, c);
  }

  /** Vertical line from y0 to y1 inclusive. */
  vline(x: number, y0: number, y1: number, c: Rgb): void {
    this.fillRect(x, Math.min(y0, y1), 1, Math.abs(y1 - y0) + 1, c);
  }

  /** 1-pixel outline of the w x h rectangle at (x, y). */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.hline(x, x + w - 1, y, c);
    this.hline(x, x + w - 1, y + h - 1, c);
    this.vline(x, y, y + h - 1, c);
    this.vline(x + w - 1, y, y + h - 1, c);
  }

  toPng(): Uint8Array {
    return encodePng(this.width, this.height, this.pixels, 3);
  }
}
