// How many distinct hosts an incident has seen, in bounded memory: exactly (a set) up to a
// cap, then estimated by a HyperLogLog sketch (16 KiB, standard error about 0.8 %), so a
// flood from millions of spoofed sources costs an incident a fixed amount of memory instead
// of one string per source. The set keeps the first `exactCap` hosts in order of
// appearance, which is all an incident lists.
const P = 14;
const REGISTERS = 1 << P;
/** The HyperLogLog bias constant for 2^14 registers (Flajolet et al. 2007). */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
const TWO_32 = 2 ** 32;

export class DistinctCount {
  private readonly exact = new Set<string>();
  private sketch: Uint8Array | null = null;

  constructor(private readonly exactCap: number) {}

  add(host: string): void {
    if (this.sketch) {
      if (!this.exact.has(host)) addToSketch(this.sketch, host);
      return;
    }
    if (this.exact.has(host)) return;
    if (this.exact.size < this.exactCap) {
      this.exact.add(host);
      return;
    }
    // Past the cap: every host seen so far and from now on goes into the sketch.
    this.sketch = new Uint8Array(REGISTERS);
    for (const h of this.exact) addToSketch(this.sketch, h);
    addToSketch(this.sketch, host);
  }

  /** Exact up to the cap; beyond it the sketch's estimate, never below the hosts held exactly. */
  get size(): number {
    return this.sketch ? Math.max(this.exact.size + 1, Math.round(estimate(this.sketch))) : this.exact.size;
  }

  /** Whether `size` is an estimate. */
  get estimated(): boolean {
    return this.sketch !== null;
  }

  /** The first `n` distinct hosts, in order of appearance. */
  first(n: number): string[] {
    const out: string[] = [];
    for (const h of this.exact) {
      if (out.length >= n) break;
      out.push(h);
    }
    return out;
  }
}

function addToSketch(sketch: Uint8Array, host: string): void {
  const h = hash32(host);
  const register = h >>> (32 - P);
  // Rank: position of the first 1 bit in the remaining 32 - P bits (all zero: 32 - P + 1).
  const rest = (h << P) >>> 0;
  const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
  if (rank > sketch[register]!) sketch[register] = rank;
}

function estimate(sketch: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < REGISTERS; j++) {
    sum += 2 ** -sketch[j]!;
    if (sketch[j] === 0) zeros++;
  }
  const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
  if (raw <= 2.5 * REGISTERS && zeros > 0) return REGISTERS * Math.log(REGISTERS / zeros); // few hosts: linear counting
  if (raw > TWO_32 / 30) return -TWO_32 * Math.log(1 - raw / TWO_32); // near the hash's range
  return raw;
}

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer so every output bit depends on every input bit. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
