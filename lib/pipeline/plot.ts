// The sink stage's anomaly_plot.png (the sink service and the embedded mode): source vs
// destination port, green dots normal, red crosses anomalous.
import { writePortScatter } from '../plot/scatter.ts';
import type { PortPoint } from './csv.ts';

export const PLOT_FILE = 'anomaly_plot.png';

export function writePlot(path: string, points: readonly PortPoint[]): void {
  const n = points.length;
  const srcPort = new Float64Array(n);
  const dstPort = new Float64Array(n);
  const anomaly = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    srcPort[i] = p.srcPort;
    dstPort[i] = p.dstPort;
    anomaly[i] = p.anomaly;
  }
  writePortScatter(path, { srcPort, dstPort, anomaly });
}
