// The reading side of the ring the capture thread fills (native/pcap/src/capture.c, whose
// header describes the layout): packets with their pcap header, in arrival order, plus
// LOSS records where packets went missing. Reading allocates nothing: each packet is passed
// as an offset into the one Buffer over the shared memory.

const CTRL_BYTES = 64;
const HDR_BYTES = 16;
const REC_WRAP = 0xffffffff;
const REC_LOSS = 0xfffffffe;
const W = 0; // control words (Int32Array indexes)
const R = 1;
const ENDED = 2;

export interface RingConsumer {
  /** A packet at data[offset, offset + capturedLength). */
  packet(data: Buffer, offset: number, capturedLength: number, wireLength: number, tsMicros: number): void;
  /** `lost` packets went missing here (ring full or kernel drops); `tsMicros`: the last packet's time. */
  loss(lost: number, tsMicros: number): void;
}

export class CaptureRing {
  /** The whole shared region, handed to the capture thread. */
  readonly bytes: Uint8Array;
  private readonly ctrl: Int32Array;
  private readonly words: Uint32Array;
  private readonly data: Buffer;
  private readonly capacity: number;

  /** `capacityBytes` of packet records (rounded down to 4), plus the control block. */
  constructor(capacityBytes: number) {
    const capacity = Math.floor(capacityBytes / 4) * 4;
    const sab = new SharedArrayBuffer(CTRL_BYTES + capacity);
    this.bytes = new Uint8Array(sab);
    this.ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
    this.words = new Uint32Array(sab, CTRL_BYTES, capacity / 4);
    this.data = Buffer.from(sab, CTRL_BYTES, capacity);
    this.capacity = capacity;
  }

  /** Whether the capture thread has ended (what it wrote may still be unread). */
  get writerEnded(): boolean {
    return Atomics.load(this.ctrl, ENDED) === 1;
  }

  /**
   * Hands up to `budget` records to `to`, then frees their space for the writer; returns
   * how many were read (0: the ring is empty).
   */
  drain(budget: number, to: RingConsumer): number {
    const words = this.words;
    let r = Atomics.load(this.ctrl, R);
    const w = Atomics.load(this.ctrl, W);
    let n = 0;
    try {
      while (r !== w && n < budget) {
        if (this.capacity - r < HDR_BYTES || words[r >>> 2] === REC_WRAP) {
          r = 0;
          continue;
        }
        const i = r >>> 2;
        const caplen = words[i]!;
        const ts = words[i + 2]! * 1e6 + words[i + 3]!;
        n++;
        if (caplen === REC_LOSS) {
          r += HDR_BYTES;
          to.loss(words[i + 1]!, ts);
          continue;
        }
        r += HDR_BYTES + ((caplen + 3) & ~3);
        to.packet(this.data, (i << 2) + HDR_BYTES, caplen, words[i + 1]!, ts);
      }
    } finally {
      Atomics.store(this.ctrl, R, r);
    }
    return n;
  }
}
