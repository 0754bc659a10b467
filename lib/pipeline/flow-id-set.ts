// The flow ids a CSV holds, to write each flow once. A flow id is 64 bits in 16 hex digits
// (lib/flow/table.ts flowId); kept as two 32-bit words in an open-addressing table, that is
// 16 bytes per id instead of a string and a Set entry (a flood writes millions of rows).
// Any other text (a CSV edited by hand) goes to a plain Set.

const HEX = /^[0-9a-f]{16}$/;

export class FlowIdSet {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** 1 where a slot is taken (the id 0 is a valid id). */
  private used = new Uint8Array(1024);
  private count = 0;
  private readonly other = new Set<string>();

  get size(): number {
    return this.count + this.other.size;
  }

  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    if (!HEX.test(id)) {
      if (this.other.has(id)) return false;
      this.other.add(id);
      return true;
    }
    const hi = parseInt(id.slice(0, 8), 16) >>> 0;
    const lo = parseInt(id.slice(8), 16) >>> 0;
    let i = this.slot(hi, lo);
    if (this.used[i]) return false;
    if ((this.count + 1) * 2 > this.used.length) {
      this.grow();
      i = this.slot(hi, lo);
    }
    this.put(i, hi, lo);
    this.count++;
    return true;
  }

  /** The slot holding (hi, lo), or the empty slot where it would go. */
  private slot(hi: number, lo: number): number {
    const mask = this.used.length - 1;
    // The ids are SHA-1 output: their low word is already well spread.
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.used[i] && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & mask;
    return i;
  }

  private put(i: number, hi: number, lo: number): void {
    this.used[i] = 1;
    this.hi[i] = hi;
    this.lo[i] = lo;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    const n = used.length * 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.used = new Uint8Array(n);
    for (let i = 0; i < used.length; i++) if (used[i]) this.put(this.slot(hi[i]!, lo[i]!), hi[i]!, lo[i]!);
  }
}
