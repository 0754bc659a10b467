// Which model scores a flow: the one of its sensor's scope (`<scope>@<sensor_id>`, trained
// with `nids trainer --scope-by sensor`) when one is in force, else the global one of
// `<scope>`. A sensor's scope is looked up (once) when its first flow arrives and watched
// from then on; while it has no model, or Redis cannot say, the global model scores.
import type { ModelStore } from '../modelstore/index.ts';
import type { Logger } from '../log/index.ts';
import type { Flow } from '../flow/record.ts';
import { ActiveModelHolder } from './active-model.ts';
import type { ActiveModel } from './score.ts';

export const sensorScope = (scope: string, sensorId: string): string => `${scope}@${sensorId}`;

export class SensorModels {
  readonly global: ActiveModelHolder;
  private readonly bySensor = new Map<string, ActiveModelHolder>();
  /** Sensors whose scope has been looked up; a batch that meets one still being looked up waits for it. */
  private readonly ready = new Map<string, ActiveModelHolder>();
  private readonly lookingUp = new Map<string, Promise<ActiveModelHolder>>();

  constructor(
    private readonly store: ModelStore,
    private readonly scope: string,
    private readonly log: Logger,
    private readonly onChange?: (scope: string, m: ActiveModel) => void,
  ) {
    this.global = new ActiveModelHolder(store, scope, log, (m) => onChange?.(scope, m));
  }

  start(): Promise<void> {
    return this.global.start();
  }

  /** Every holder, global first: what the metrics report on. */
  holders(): Array<[string, ActiveModelHolder]> {
    return [[this.scope, this.global], ...[...this.bySensor].map(([s, h]): [string, ActiveModelHolder] => [sensorScope(this.scope, s), h])];
  }

  /** The flows grouped by the model that scores them (the global model must be loaded). */
  async assign(flows: readonly Flow[]): Promise<Map<ActiveModel, Flow[]>> {
    const out = new Map<ActiveModel, Flow[]>();
    for (const f of flows) {
      // Batches are scored concurrently (one per partition): each must wait for the same
      // look-up rather than score a sensor's first flows with the global model meanwhile.
      const holder = this.ready.get(f.sensor_id) ?? (await this.lookUp(f.sensor_id));
      const model = holder.current ?? this.global.current!;
      let group = out.get(model);
      if (!group) out.set(model, (group = []));
      group.push(f);
    }
    return out;
  }

  private lookUp(sensorId: string): Promise<ActiveModelHolder> {
    let pending = this.lookingUp.get(sensorId);
    if (!pending) {
      pending = this.watch(sensorId).then((h) => {
        this.ready.set(sensorId, h);
        this.lookingUp.delete(sensorId);
        return h;
      });
      this.lookingUp.set(sensorId, pending);
    }
    return pending;
  }

  private async watch(sensorId: string): Promise<ActiveModelHolder> {
    const scope = sensorScope(this.scope, sensorId);
    const h = new ActiveModelHolder(this.store, scope, this.log, (m) => this.onChange?.(scope, m));
    this.bySensor.set(sensorId, h);
    try {
      await h.start();
      await h.settled();
    } catch (err) {
      this.log.warn({ scope, err: (err as Error).message }, 'cannot watch the sensor scope; the global model scores its flows');
    }
    return h;
  }

  async stop(): Promise<void> {
    await Promise.all([this.global.stop(), ...[...this.bySensor.values()].map((h) => h.stop())]);
  }
}
