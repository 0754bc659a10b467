// The command line of `nids analyze`: its options, output file names and --help, apart from
// the embedded pipeline (analyze.ts) so that `nids analyze --help` loads only this and the
// settings it names, not the stage code and its libraries (cli/main.ts; start-up in bench cli).
import { helpText, num, optionalStr, str, type ConfigOf } from '../lib/config/index.ts';
import { opsSettings } from '../lib/config/common.ts';
import { dashboardSettings, flowSettings, holdBackSettings, incidentCapSettings, liveCaptureSettings, plotSettings, siemSettings, trainingSettings } from '../lib/config/stages.ts';
import { INCIDENTS_FILE } from '../lib/pipeline/incident-names.ts';
import { ECS_FILE } from '../lib/siem/ecs.ts';
import { CSV_FILE } from '../lib/pipeline/csv.ts';
import { PLOT_FILES } from '../lib/plot/files.ts';
import { EXIT_HELP } from './exit.ts';

export const ANOMALIES_FILE = 'anomalies.jsonl';
export { INCIDENTS_FILE };
export const MODEL_FILE = 'model.nidsm';
export const analyzeSpec = {
  baseline: optionalStr({ flag: 'baseline', env: 'NIDS_ANALYZE_BASELINE', metavar: 'pcap', help: 'pcap/pcapng of normal traffic to learn from (or give --model).' }),
  input: optionalStr({ flag: 'input', env: 'NIDS_ANALYZE_INPUT', metavar: 'pcap', help: 'pcap/pcapng to score; or give --iface to score live traffic.' }),
  ...liveCaptureSettings,
  duration: num({ flag: 'duration', env: 'NIDS_ANALYZE_DURATION', default: 0, min: 0, help: 'Live capture (--iface): seconds to capture before writing the outputs; 0 = until Ctrl-C.' }),
  out: str({ flag: 'out', env: 'NIDS_ANALYZE_OUT', default: 'out/analyze', metavar: 'dir', help: `Output folder: ${CSV_FILE}, ${PLOT_FILES.join(', ')}, ${ANOMALIES_FILE}, ${INCIDENTS_FILE}, ${ECS_FILE} (--ecs), ${MODEL_FILE}, run.json.` }),
  model: optionalStr({ flag: 'model', env: 'NIDS_ANALYZE_MODEL', metavar: 'file', help: `Score with a saved model (e.g. a previous run's ${MODEL_FILE}) instead of training.` }),
  sensorId: str({ flag: 'sensor-id', env: 'NIDS_SENSOR_ID', default: 'embedded', help: 'sensor_id written into every flow.' }),
  ...flowSettings,
  ...trainingSettings,
  ...holdBackSettings,
  ...plotSettings,
  ...dashboardSettings,
  ...siemSettings,
  ...incidentCapSettings,
  // Quieter than the services: stdout is the report, stderr the progress line.
  logLevel: { ...opsSettings.logLevel, default: 'warn' as const },
};

export type AnalyzeConfig = ConfigOf<typeof analyzeSpec>;

export const RUN_FILE = 'run.json';

export function analyzeHelp(): string {
  return helpText(
    'Usage: nids analyze --baseline <pcap> --input <pcap> --out <dir> [options]\n       nids analyze (--baseline <pcap> | --model <file>) --iface <name> [--duration <s>] --out <dir> [options]',
    'Embedded mode: learns normal from the baseline capture (or loads a model), scores every flow of the input capture ' +
      'or of a live interface, writes the labeled CSV and plot. Needs no Kafka, registry or Redis. Live capture runs until ' +
      'Ctrl-C (or --duration), then scores the flows still open; it needs CAP_NET_RAW (root, or setcap on node). ' +
      `Outputs are written under temporary names and renamed into place when complete, with ${RUN_FILE} (input, packets read, ` +
      'why it stopped, exit status): a failed run leaves earlier results as they were. SIGINT/SIGTERM stop the reading, score what was ' +
      'read and write outputs marked partial; a second signal exits at once, writing nothing. ' +
      '--serve shows the run live in a browser (counts, the plots, anomalies and incidents as they arrive) and keeps serving ' +
      'after the run until Ctrl-C. A progress bar (packets/s, ETA) shows on a terminal; the report says how fast each capture was read. ' + EXIT_HELP,
    analyzeSpec,
  );
}
