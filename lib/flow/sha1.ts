// SHA-1 of a short message (at most 55 bytes: one 64-byte block), as base64 or hex.
// Community ID hashes 16 bytes (IPv4) or 40 (IPv6) once per exported flow, and the flow id
// 44 bytes; at that size the
// fixed cost of a node:crypto call (a Buffer, a binding crossing, a string) is several
// times the hashing itself, so the one block is compressed here, in reused typed arrays.
// SHA-1 is what the Community ID spec prescribes; nothing here relies on it for security.

const W = new Int32Array(80);
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGEST = new Uint8Array(21); // 20 bytes and a zero, so base64 runs in whole 3-byte groups

/** base64(SHA-1(msg[0, len))) for len <= 55. */
export function sha1Base64(msg: Uint8Array, len: number): string {
  compress(msg, len);
  let out = '';
  for (let i = 0; i < 21; i += 3) {
    const n = (DIGEST[i]! << 16) | (DIGEST[i + 1]! << 8) | DIGEST[i + 2]!;
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + BASE64[n & 63]!;
  }
  // 20 bytes are 27 base64 digits and one '=' of padding.
  return out.slice(0, 27) + '=';
}

/** The first `bytes` bytes of SHA-1(msg[0, len)) in hex, for len <= 55. */
export function sha1Hex(msg: Uint8Array, len: number, bytes = 20): string {
  compress(msg, len);
  let out = '';
  for (let i = 0; i < bytes; i++) out += HEX[DIGEST[i]!]!;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** SHA-1 of one padded block into DIGEST. */
function compress(msg: Uint8Array, len: number): void {
  if (len > 55) throw new RangeError(`sha1: ${len} bytes do not fit one block`);
  W.fill(0, 0, 16);
  for (let i = 0; i < len; i++) W[i >> 2]! |= msg[i]! << (24 - 8 * (i & 3));
  W[len >> 2]! |= 0x80 << (24 - 8 * (len & 3));
  W[15] = len * 8;
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  // The four rounds of 20 steps as four loops: no per-step branch on the round.
  let t = 0;
  for (; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  put(0, 0x67452301 + a);
  put(1, 0xefcdab89 + b);
  put(2, 0x98badcfe + c);
  put(3, 0x10325476 + d);
  put(4, 0xc3d2e1f0 + e);
}


function put(word: number, v: number): void {
  DIGEST[4 * word] = v >>> 24;
  DIGEST[4 * word + 1] = v >>> 16;
  DIGEST[4 * word + 2] = v >>> 8;
  DIGEST[4 * word + 3] = v;
}
