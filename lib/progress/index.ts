// Progress of long work (reading a capture, writing a simulated one) on stderr: a
// cli-progress bar with packets/s and an ETA when stderr is a terminal, otherwise one
// summary line when the work ends (a log file or CI output gets no carriage returns).
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
  private finished = false;

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

  /** Ends the bar, or writes the one-line summary when stderr is not a terminal. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.bar) {
      this.bar.stop();
      return;
    }
    const s = (performance.now() - this.started) / 1000;
    this.stream.write(`${this.label}: ${this.packets.toLocaleString('en-US')} packets in ${s.toFixed(1)} s (${Math.round(this.rate()).toLocaleString('en-US')} pkt/s)\n`);
  }

  private rate(): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? this.packets / s : 0;
  }
}
