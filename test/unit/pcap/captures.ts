// Builds small pcap and pcapng files in memory, in either byte order, for reader tests.

export interface Rec {
  /** Timestamp in the file's units (µs or ns for pcap; the interface's units for pcapng). */
  ts: bigint;
  data: Uint8Array;
  /** Original length; defaults to data.length. */
  wire?: number;
  iface?: number;
}

class Out {
  private parts: Uint8Array[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(Uint8Array.of(v));
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    this.parts.push(b);
    return this;
  }
  i64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v, this.le);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  pad4(): this {
    const n = this.length % 4;
    if (n) this.parts.push(new Uint8Array(4 - n));
    return this;
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  build(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export function pcapFile(recs: Rec[], opts: { le?: boolean; nanos?: boolean; linkType?: number; snaplen?: number } = {}): Uint8Array {
  const o = new Out(opts.le ?? true);
  o.u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(opts.snaplen ?? 262144).u32(opts.linkType ?? 1);
  const unit = opts.nanos ? 1_000_000_000n : 1_000_000n;
  for (const r of recs) {
    o.u32(Number(r.ts / unit)).u32(Number(r.ts % unit)).u32(r.data.length).u32(r.wire ?? r.data.length).bytes(r.data);
  }
  return o.build();
}

export interface Iface {
  linkType: number;
  /** if_tsresol byte; omitted: the default (microseconds). */
  tsresol?: number;
  /** if_tsoffset, seconds. */
  tsoffset?: bigint;
}

function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  return new Out(le).u32(type).u32(len).bytes(body).pad4().u32(len).build();
}

export function shb(le: boolean): Uint8Array {
  return block(le, 0x0a0d0d0a, new Out(le).u32(0x1a2b3c4d).u16(1).u16(0).i64(-1n).build());
}

export function idb(le: boolean, i: Iface): Uint8Array {
  const o = new Out(le).u16(i.linkType).u16(0).u32(0);
  if (i.tsresol !== undefined) o.u16(9).u16(1).u8(i.tsresol).pad4();
  if (i.tsoffset !== undefined) o.u16(14).u16(8).i64(i.tsoffset);
  if (i.tsresol !== undefined || i.tsoffset !== undefined) o.u16(0).u16(0);
  return block(le, 1, o.build());
}

export function epb(le: boolean, r: Rec): Uint8Array {
  const o = new Out(le)
    .u32(r.iface ?? 0)
    .u32(Number(r.ts >> 32n))
    .u32(Number(r.ts & 0xffffffffn))
    .u32(r.data.length)
    .u32(r.wire ?? r.data.length)
    .bytes(r.data)
    .pad4();
  return block(le, 6, o.build());
}

export function spb(le: boolean, data: Uint8Array): Uint8Array {
  return block(le, 3, new Out(le).u32(data.length).bytes(data).pad4().build());
}

/** A block type the reader must skip (an Interface Statistics Block). */
export function isb(le: boolean): Uint8Array {
  return block(le, 5, new Out(le).u32(0).u32(0).u32(0).build());
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function pcapngFile(ifaces: Iface[], recs: Rec[], le = true): Uint8Array {
  return concat(shb(le), ...ifaces.map((i) => idb(le, i)), ...recs.map((r) => epb(le, r)));
}
