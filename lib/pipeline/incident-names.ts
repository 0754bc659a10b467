// What names an incident, apart from the tracker: its file and an anomaly's behaviour.
// `nids analyze --help` and the ECS mapping use them without loading the incident tracker
// and what it imports (test/unit/cli/startup.test.ts).
import type { Anomaly } from '../avro/records.ts';

export const INCIDENTS_FILE = 'incidents.jsonl';

export const behaviourOf = (a: Anomaly): string => {
  const f = a.reasons[0]?.feature ?? 'score';
  return f.startsWith('host.') ? f.slice(5) : `flow.${f}`;
};
