// Per-source state kept least recently active first, for the flow context and the host
// tracker: a key lookup plus a doubly linked list through the entries themselves, so
// touching a source, adding one and dropping the least recent one are O(1). (A Map re-set
// on every touch and iterated from its head to expire leaves deleted slots at the head
// that each sweep walks again: under a flood of new sources that walk was a fifth of the time.)

export class RecencyEntry {
  key = '';
  /** Toward the least recent. */
  older: RecencyEntry | null = null;
  /** Toward the most recent. */
  newer: RecencyEntry | null = null;
}

export class RecencyList<E extends RecencyEntry> {
  private readonly byKey = new Map<string, E>();
  private head: E | null = null; // least recent
  private tail: E | null = null; // most recent

  get size(): number {
    return this.byKey.size;
  }

  /** The entry of `key`, made the most recent; undefined when absent. */
  touch(key: string): E | undefined {
    const e = this.byKey.get(key);
    if (e && e !== this.tail) {
      this.unlink(e);
      this.append(e);
    }
    return e;
  }

  /** Makes `e` (which must be in the list) the most recent: for callers that found it by their own index. */
  promote(e: E): void {
    if (e !== this.tail) {
      this.unlink(e);
      this.append(e);
    }
  }

  /** Adds `e` under `key` as the most recent (the key must be absent). */
  add(key: string, e: E): void {
    e.key = key;
    this.byKey.set(key, e);
    this.append(e);
  }

  get leastRecent(): E | null {
    return this.head;
  }

  /** The entries, least recent first (do not remove any while iterating). */
  *values(): IterableIterator<E> {
    for (let e = this.head; e; e = e.newer as E | null) yield e;
  }

  /** Removes `e` (which must be in the list) and returns it. */
  remove(e: E): E {
    this.byKey.delete(e.key);
    this.unlink(e);
    return e;
  }

  /**
   * Drops the least recent entries while they are idle (`lastT` before `horizon`) or the list
   * holds `max` or more, handing each to `dropped`; returns how many of them were still
   * active (evicted to stay under `max`).
   */
  dropIdle(horizon: number, max: number, lastT: (e: E) => number, dropped: (e: E) => void): number {
    let evicted = 0;
    for (let e = this.head; e; e = this.head) {
      const over = this.byKey.size >= max;
      const active = lastT(e) >= horizon;
      if (!over && active) break;
      if (active) evicted++;
      dropped(this.remove(e));
    }
    return evicted;
  }

  private append(e: E): void {
    e.older = this.tail;
    e.newer = null;
    if (this.tail) this.tail.newer = e;
    else this.head = e;
    this.tail = e;
  }

  private unlink(e: E): void {
    if (e.older) e.older.newer = e.newer;
    else this.head = e.newer as E | null;
    if (e.newer) e.newer.older = e.older;
    else this.tail = e.older as E | null;
    e.older = e.newer = null;
  }
}
