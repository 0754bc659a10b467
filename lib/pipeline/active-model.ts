// The model in force for one scope, hot-reloaded: a promotion message (or the periodic
// check that covers messages missed while disconnected) loads the new model; any failure
// keeps the last good one scoring. Used by the scorer service and the embedded mode.
import { Detector } from '../detector/index.ts';
import type { ModelMeta, ModelStore } from '../modelstore/index.ts';
import type { Logger } from '../log/index.ts';
import type { ActiveModel } from './score.ts';

export class ActiveModelHolder {
  current: ActiveModel | null = null;
  /** The metadata of `current` (its age is `created_at`'s). */
  currentMeta: ModelMeta | null = null;
  reloads = 0;
  reloadFailures = 0;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ModelStore,
    private readonly scope: string,
    private readonly log: Logger,
    private readonly onChange?: (m: ActiveModel) => void,
  ) {}

  async start(checkEveryMs = 30_000): Promise<void> {
    this.unsubscribe = await this.store.subscribe((scope, id) => {
      if (scope === this.scope) this.reload(id);
    });
    await this.check();
    this.timer = setInterval(() => void this.check(), checkEveryMs);
  }

  /** Resolves once a model is loaded. */
  ready(pollMs = 1000): Promise<ActiveModel> {
    if (this.current) return Promise.resolve(this.current);
    const poll = setInterval(() => void this.check(), pollMs);
    return new Promise<ActiveModel>((resolve) => this.waiters.push(() => resolve(this.current!))).finally(() => clearInterval(poll));
  }

  /** Resolves once the loads asked for so far are done (loaded or failed). */
  settled(): Promise<void> {
    return this.loading;
  }

  private async check(): Promise<void> {
    try {
      const id = await this.store.activeId(this.scope);
      if (id && id !== this.current?.id) this.reload(id);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'model store unreachable; scoring goes on with the last good model');
    }
  }

  private reload(id: string): void {
    // Serialized, so two quick promotions cannot finish out of order.
    this.loading = this.loading.then(async () => {
      if (id === this.current?.id) return;
      try {
        const { bytes, meta } = await this.store.load(id);
        const detector = Detector.deserialize(bytes);
        const previous = this.current?.id ?? null;
        this.current = { id, detector };
        this.currentMeta = meta;
        this.reloads++;
        this.log.info({ model: id, previous, window: meta.window, n_samples: meta.n_samples, threshold: meta.threshold }, 'model in force');
        this.onChange?.(this.current);
        for (const w of this.waiters.splice(0)) w();
      } catch (err) {
        this.reloadFailures++;
        this.log.error({ model: id, err: (err as Error).message }, 'cannot load the promoted model; keeping the last good one');
      }
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    await this.loading;
  }
}
