// Progress of long work (reading a capture, writing a simulated one): a cli-progress bar on
// stderr with packets/s and an ETA when stderr is a terminal; otherwise nothing while it
// runs (a log file or CI output gets no carriage returns) and the command puts the
// one-line summary finish() returns into its report on stdout, so stderr keeps to errors.
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressUpdate {
  /** Work done and total, in any unit (bytes of a capture, packets of a simulation). */
  done: number;
  total: number;
  packets: number;
}

export class Progress {
  private readonly started = performance.now();
  private bar: SingleBar | null = null;
  private packets = 0;
  private summary: string | null = null;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update({ done, total, packets }: ProgressUpdate): void {
    this.packets = packets;
    if (!this.stream.isTTY) return;
    const payload = { label: this.label, packets: packets.toLocaleString('en-US'), rate: Math.round(this.rate()).toLocaleString('en-US') };
    if (!this.bar) {
      this.bar = new SingleBar(
        { format: '{label} [{bar}] {percentage}% | {packets} packets | {rate} pkt/s | ETA {eta_formatted}', stream: this.stream, hideCursor: true, etaBuffer: 40, fps: 8 },
        Presets.shades_classic,
      );
      this.bar.start(Math.max(total, 1), done, payload);
    } else this.bar.update(done, payload);
  }

  /** Ends the bar (if drawn); returns the one-line summary: `<label>: N packets in S s (R pkt/s)`. */
  finish(): string {
    if (this.summary !== null) return this.summary;
    this.bar?.stop();
    const s = (performance.now() - this.started) / 1000;
    this.summary = `${this.label}: ${this.packets.toLocaleString('en-US')} packets in ${s.toFixed(1)} s (${Math.round(this.rate()).toLocaleString('en-US')} pkt/s)`;
    return this.summary;
  }

  private rate(): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? this.packets / s : 0;
  }
}
