// The sink stage's anomaly_plot.png (the sink service and the embedded mode): source vs
// destination port, green dots normal, red crosses anomalous.
import { writePortScatter } from '../plot/scatter.ts';
import type { PortColumns } from './csv.ts';

export const PLOT_FILE = 'anomaly_plot.png';

export function writePlot(path: string, points: PortColumns): void {
  writePortScatter(path, { srcPort: points.srcPort, dstPort: points.dstPort, anomaly: points.anomaly });
}
