// The trainer service: at start and then every --every seconds, reads the baseline window
// from Kafka with the scorers' verdicts, and runs one training turn (lib/loop/cycle.ts):
// fit, guard, store, promote if the guard passed. With --every 0 it trains once and exits.
import { bool, ConfigError, optionalIsoTime, pick } from '../../lib/config/index.ts';
import { kafkaSettings, redisSettings, topicSettings } from '../../lib/config/common.ts';
import { promoteSetting, trainingSettings } from '../../lib/config/stages.ts';
import { guardSettings, retainSetting, scopeBySetting, windowSettings } from '../../lib/config/loop.ts';
import { runService, type ServiceDef } from '../../lib/service/index.ts';
import { connectRegistry } from '../../lib/avro/codec.ts';
import { createKafka } from '../../lib/kafka/index.ts';
import { Counter, Gauge } from '../../lib/metrics/index.ts';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import { readLoopInputs } from '../../lib/loop/read.ts';
import { flowsByScope, trainCycle } from '../../lib/loop/cycle.ts';
import type { Verdicts } from '../../lib/loop/window.ts';
import type { BaselineMark } from '../../lib/modelstore/index.ts';
import type { Flow } from '../../lib/flow/record.ts';

const spec = {
  windowStart: optionalIsoTime({ flag: 'window-start', env: 'NIDS_WINDOW_START', help: 'Only flows starting at or after this time (default: no bound besides --window).' }),
  windowEnd: optionalIsoTime({ flag: 'window-end', env: 'NIDS_WINDOW_END', help: 'Only flows starting before this time (default: up to the newest flow).' }),
  ...windowSettings,
  guard: bool({ flag: 'guard', env: 'NIDS_GUARD', default: true, help: 'Hold back a slice and check canary attacks before promoting (--no-guard: fit on the whole window and promote).' }),
  ...guardSettings,
  retain: retainSetting,
  scopeBy: scopeBySetting,
  promote: promoteSetting,
  ...trainingSettings,
  ...kafkaSettings,
  ...topicSettings,
  ...redisSettings,
};

export const trainerService: ServiceDef<typeof spec> = {
  name: 'trainer',
  usage: 'Usage: nids trainer [--every <s>] [--window <s>] [--window-start <iso>] [--window-end <iso>] [options]',
  description:
    'Retrains the Isolation Forest on a schedule over a sliding baseline window from Kafka, leaving out flows the scorers flagged and hosts with open incidents; ' +
    'a model that fails the promotion guard (held-back false alarms, canary attacks) is stored as refused, never promoted.',
  spec,
  validate(c) {
    if (c.windowStart !== undefined && c.windowEnd !== undefined && c.windowStart >= c.windowEnd) throw new ConfigError('--window-start: must be before --window-end');
  },
  async main({ config, log, metrics, stopped, isStopping }) {
    const reg = [metrics.registry];
    const flowsRead = new Counter({ name: 'nids_trainer_flows_read_total', help: 'Flows read from Kafka in the asked time range', registers: reg });
    const undecodable = new Counter({ name: 'nids_trainer_undecodable_total', help: 'Records skipped as undecodable (the scorer dead-letters them)', registers: reg });
    const leftOut = new Counter({ name: 'nids_trainer_flows_left_out_total', help: 'Flows left out of a baseline window, by why', labelNames: ['why'], registers: reg });
    const windowFlows = new Gauge({ name: 'nids_trainer_window_flows', help: 'Flows in the last baseline window, per scope', labelNames: ['scope'], registers: reg });
    const promotions = new Counter({ name: 'nids_trainer_promotions_total', help: 'Models promoted', registers: reg });
    const refusals = new Counter({ name: 'nids_trainer_refusals_total', help: 'Models the promotion guard refused, by failed check', labelNames: ['reason'], registers: reg });
    const skipped = new Counter({ name: 'nids_trainer_skipped_total', help: 'Turns without training (too few flows in the window)', registers: reg });
    const lastTurn = new Gauge({ name: 'nids_trainer_last_turn_timestamp_seconds', help: 'When the last training turn ended', registers: reg });

    const store = await new RedisModelStore(config.redis).connect();
    const registry = connectRegistry(config.registry);
    const kafka = createKafka(config.brokers, `${config.clientId}-trainer`, log);
    const turn = async (): Promise<boolean> => {
      const verdicts = config.excludeFlagged || config.excludeIncidentHosts;
      const read = await readLoopInputs(kafka, registry, config, { start: config.windowStart ?? -Infinity, end: config.windowEnd ?? Infinity, verdicts, groupPrefix: `nids-trainer-${config.scope}`, isStopping });
      flowsRead.inc(read.flows.length);
      undecodable.inc(read.undecodable);
      const marks = await store.marks();
      log.info({ flows: read.flows.length, flagged: read.verdicts.flagged.size, incident_hosts: read.verdicts.incidentHosts.size, marks: marks.length }, 'baseline inputs read; fitting');
      let ok = true;
      for (const [scope, flows] of flowsByScope(read.flows, config.scope, config.scopeBy)) ok = (await trainScope(scope, flows, read.verdicts, marks)) && ok;
      return ok;
    };
    const trainScope = async (scope: string, flows: Flow[], verdicts: Verdicts, marks: BaselineMark[]): Promise<boolean> => {
      const outcome = await trainCycle(flows, verdicts, marks, store, {
        scope,
        window: config,
        guard: config.guard ? pick(guardSettings, config) : null,
        training: pick(trainingSettings, config),
        promote: config.promote,
        retain: config.retain,
      });
      const c = outcome.counts;
      for (const why of ['outside', 'flagged', 'incident_hosts', 'excluded_ranges', 'over_cap'] as const) leftOut.inc({ why }, c[why]);
      windowFlows.set({ scope }, c.kept);
      lastTurn.set(Date.now() / 1000);
      if (outcome.status === 'skipped') {
        skipped.inc();
        log.warn({ scope, counts: c }, `not training ${scope}: ${outcome.reason}`);
        return false;
      }
      const m = outcome.model;
      if (outcome.status === 'refused') {
        for (const f of outcome.guard!.failed) refusals.inc({ reason: f });
        log.warn({ model: m.id, scope, guard: outcome.guard, counts: c }, `model refused: ${m.refused_reason}`);
      } else {
        if (outcome.status === 'promoted') promotions.inc();
        log.info({ model: m.id, status: outcome.status, scope, threshold: m.threshold, window: m.window, guard: outcome.guard, counts: c, pruned: outcome.pruned }, 'model stored');
      }
      process.stdout.write(`${m.id}${config.scopeBy === 'sensor' ? ` ${scope}` : ''}\n`);
      return outcome.status !== 'refused';
    };
    try {
      if (config.everyS === 0) {
        metrics.setReady(true);
        return (await turn()) ? 0 : 1;
      }
      metrics.setReady(true);
      while (!isStopping()) {
        try {
          await turn();
        } catch (err) {
          // One failed turn (Kafka or Redis away) is retried at the next; the model in force stays.
          log.error({ err: (err as Error).message }, 'training turn failed; the active model stays in force');
        }
        await Promise.race([stopped, new Promise((r) => setTimeout(r, config.everyS * 1000).unref())]);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export const run = (argv: string[]): Promise<number> => runService(trainerService, argv);
