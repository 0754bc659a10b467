// Settings of the learning loop: the continuous trainer's schedule and baseline window,
// what it leaves out of the window, the promotion guard, and the model store's retention.
// The one place their defaults are written (services/trainer, nids model, tests).
import { bool, defaultsOf, num, oneOf, subsetOf, type ConfigOf } from './index.ts';
import { ATTACKS } from '../sim/scenario.ts';

/** When the trainer retrains and which flows make its baseline window. */
export const windowSettings = {
  everyS: num({ flag: 'every', env: 'NIDS_TRAIN_EVERY_S', default: 900, min: 0, help: 'Seconds between trainings (0: train once and exit, as a CronJob does).' }),
  windowS: num({ flag: 'window', env: 'NIDS_TRAIN_WINDOW_S', default: 86_400, min: 1, help: 'Length of the sliding baseline window, seconds of traffic time back from the newest flow.' }),
  maxFlows: num({ flag: 'max-flows', env: 'NIDS_MAX_FLOWS', default: 1_000_000, integer: true, min: 1, help: 'Flows in the window at most (the newest are kept).' }),
  minFlows: num({ flag: 'min-flows', env: 'NIDS_MIN_FLOWS', default: 500, integer: true, min: 32, help: 'Below this many flows in the window the trainer does not train (and says so).' }),
  excludeFlagged: bool({ flag: 'exclude-flagged', env: 'NIDS_EXCLUDE_FLAGGED', default: true, help: 'Leave out flows the active model labeled anomalous (read from the scored topic).' }),
  excludeIncidentHosts: bool({ flag: 'exclude-incident-hosts', env: 'NIDS_EXCLUDE_INCIDENT_HOSTS', default: true, help: 'Leave out every flow of a host with an open incident (from the anomalies topic).' }),
};
export type WindowSettings = ConfigOf<typeof windowSettings>;

/** The promotion guard (lib/loop/guard.ts): what a new model must pass before it is promoted. */
export const guardSettings = {
  holdbackShare: num({ flag: 'holdback', env: 'NIDS_GUARD_HOLDBACK', default: 0.1, min: 0.01, max: 0.5, help: 'Share of the window held back from training and scored to measure false alarms.' }),
  falseAlarmTarget: num({ flag: 'false-alarm-target', env: 'NIDS_GUARD_FALSE_ALARM_TARGET', default: 0.01, min: 0, max: 1, help: 'Target false-alarm rate on benign traffic.' }),
  falseAlarmFactor: num({ flag: 'false-alarm-factor', env: 'NIDS_GUARD_FALSE_ALARM_FACTOR', default: 3, min: 1, help: 'A model whose held-back false-alarm rate exceeds target x factor is refused.' }),
  canaries: subsetOf(ATTACKS, { flag: 'canaries', env: 'NIDS_GUARD_CANARIES', default: ['portscan', 'synflood', 'dnstunnel'], help: 'Simulated attacks (lib/sim) a model must catch to be promoted.' }),
  canaryMinRecall: num({ flag: 'canary-min-recall', env: 'NIDS_GUARD_CANARY_MIN_RECALL', default: 0.9, min: 0, max: 1, help: 'Share of each canary attack\'s flows a model must flag.' }),
};
export type GuardSettings = ConfigOf<typeof guardSettings>;
export const GUARD_DEFAULTS: GuardSettings = defaultsOf(guardSettings);

/** How many models the store keeps per scope (the active one is always kept). */
export const retainSetting = num({ flag: 'retain', env: 'NIDS_MODEL_RETAIN', default: 10, integer: true, min: 1, help: 'Models kept per scope; older ones (never the active one) are deleted.' });

/** Whether the trainer fits one model for all sensors or one per sensor (scorers fall back to the global one). */
export const scopeBySetting = oneOf(['global', 'sensor'] as const, {
  flag: 'scope-by',
  env: 'NIDS_SCOPE_BY',
  default: 'global',
  help: "'global': one model for --scope; 'sensor': one per sensor_id, scope <scope>@<sensor_id>, which scorers prefer for that sensor's flows.",
});
