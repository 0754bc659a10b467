// Packets made out of order (a flow's later packets before the next flow's first), released
// in time order: a binary min-heap on (timestamp, order of arrival), so equal timestamps
// come out in the order they went in, as a stable sort would give them.

export class PacketHeap {
  private readonly ts: number[] = [];
  private readonly seq: number[] = [];
  private readonly frames: Uint8Array[] = [];
  private arrivals = 0;

  get size(): number {
    return this.ts.length;
  }

  /** The earliest timestamp held (the heap must not be empty). */
  get minTs(): number {
    return this.ts[0]!;
  }

  push(ts: number, frame: Uint8Array): void {
    let i = this.ts.length;
    const seq = this.arrivals++;
    this.ts.push(ts);
    this.seq.push(seq);
    this.frames.push(frame);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(ts, seq, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, ts, seq, frame);
  }

  /** Removes the earliest packet and returns its frame (the heap must not be empty). */
  pop(): Uint8Array {
    const top = this.frames[0]!;
    const ts = this.ts.pop()!;
    const seq = this.seq.pop()!;
    const frame = this.frames.pop()!;
    const n = this.ts.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(this.ts[r]!, this.seq[r]!, l) ? r : l;
      if (!this.before(this.ts[c]!, this.seq[c]!, -1, ts, seq)) break;
      this.move(c, i);
      i = c;
    }
    this.put(i, ts, seq, frame);
    return top;
  }

  /** Whether (ts, seq) comes before the entry at `j` (or before (jTs, jSeq) when j < 0). */
  private before(ts: number, seq: number, j: number, jTs = this.ts[j]!, jSeq = this.seq[j]!): boolean {
    return ts < jTs || (ts === jTs && seq < jSeq);
  }

  private move(from: number, to: number): void {
    this.ts[to] = this.ts[from]!;
    this.seq[to] = this.seq[from]!;
    this.frames[to] = this.frames[from]!;
  }

  private put(i: number, ts: number, seq: number, frame: Uint8Array): void {
    this.ts[i] = ts;
    this.seq[i] = seq;
    this.frames[i] = frame;
  }
}
