// The Redis model store: blob and meta hash per model, an active pointer per scope changed
// atomically together with the promotion message (MULTI), and pub/sub for hot reload.
import { Redis } from 'ioredis';
import { redactUrl } from '../config/index.ts';
import { keys, modelId, ModelNotFoundError, type BaselineMark, type ModelMeta, type ModelStore, type StoredModel } from './index.ts';

const NUMERIC: ReadonlySet<string> = new Set(['n_samples', 'threshold']);
/** Active ids remembered per scope for rollback (retention deletes the models themselves). */
const HISTORY_LENGTH = 100;

export class RedisModelStore implements ModelStore {
  private readonly redis: Redis;
  private subscriber: Redis | null = null;

  constructor(private readonly url: string) {
    // Bounded retries per command: a caller that cannot reach Redis gets an error it can
    // act on (keep the last good model) instead of a promise that never settles.
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true, connectTimeout: 5000 });
    // Connection errors surface on the commands that fail; the event itself is not news.
    this.redis.on('error', () => {});
  }

  async connect(): Promise<this> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`--redis: cannot connect to ${redactUrl(this.url)}: ${(err as Error).message}. Is Redis running (npm run stack:up)?`);
    }
    return this;
  }

  async save(bytes: Uint8Array, meta: Omit<ModelMeta, 'id'>): Promise<ModelMeta> {
    const full: ModelMeta = { ...meta, id: modelId(bytes) };
    const hash: Record<string, string> = {};
    for (const [k, v] of Object.entries(full)) hash[k] = String(v);
    const createdMs = Date.parse(full.created_at) || Date.now();
    await this.redis.multi().set(keys.model(full.id), Buffer.from(bytes)).hset(keys.meta(full.id), hash).zadd(keys.scope(full.scope), createdMs, full.id).exec();
    return full;
  }

  async load(id: string): Promise<StoredModel> {
    const [bytes, hash] = await Promise.all([this.redis.getBuffer(keys.model(id)), this.redis.hgetall(keys.meta(id))]);
    if (!bytes) throw new ModelNotFoundError(`model ${id} is not in Redis (key ${keys.model(id)})`);
    const meta: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(hash)) meta[k] = NUMERIC.has(k) ? Number(v) : v;
    return { bytes: new Uint8Array(bytes), meta: meta as unknown as ModelMeta };
  }

  /** Every stored model's metadata, newest first. */
  async list(): Promise<ModelMeta[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', keys.meta('*'), 'COUNT', 500);
      cursor = next;
      for (const k of found) ids.push(k.slice('nids:model:'.length, -':meta'.length));
    } while (cursor !== '0');
    const metas = await Promise.all(ids.map(async (id) => (await this.load(id)).meta));
    return metas.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  async promote(scope: string, id: string): Promise<void> {
    if (!(await this.redis.exists(keys.model(id)))) throw new ModelNotFoundError(`cannot promote ${id}: not in Redis`);
    await this.redis
      .multi()
      .set(keys.active(scope), id)
      .hset(keys.meta(id), 'status', 'promoted')
      .lrem(keys.history(scope), 0, id)
      .lpush(keys.history(scope), id)
      .ltrim(keys.history(scope), 0, HISTORY_LENGTH - 1)
      .publish(keys.channel, JSON.stringify({ scope, id }))
      .exec();
  }

  /**
   * Back to the model that was in force before the current one (the newest earlier entry of
   * the scope's history that is still stored). The current one leaves the history, so a
   * second rollback goes one step further back.
   */
  async rollback(scope: string): Promise<{ from: string; to: string }> {
    const current = await this.activeId(scope);
    if (!current) throw new ModelNotFoundError(`scope ${scope} has no active model to roll back`);
    const history = await this.redis.lrange(keys.history(scope), 0, -1);
    for (const id of history) {
      if (id === current || !(await this.redis.exists(keys.model(id)))) continue;
      await this.redis
        .multi()
        .set(keys.active(scope), id)
        .lrem(keys.history(scope), 0, current)
        .publish(keys.channel, JSON.stringify({ scope, id }))
        .exec();
      return { from: current, to: id };
    }
    throw new ModelNotFoundError(`scope ${scope}: no earlier model in force is still stored (only ${current})`);
  }

  /** Deletes the scope's models beyond the newest `keep`, never the active one; returns their ids. */
  async prune(scope: string, keep: number): Promise<string[]> {
    const [ids, active] = await Promise.all([this.redis.zrevrange(keys.scope(scope), 0, -1), this.activeId(scope)]);
    const doomed = ids.slice(keep).filter((id) => id !== active);
    if (doomed.length === 0) return [];
    const tx = this.redis.multi();
    for (const id of doomed) tx.del(keys.model(id), keys.meta(id)).zrem(keys.scope(scope), id).lrem(keys.history(scope), 0, id);
    await tx.exec();
    return doomed;
  }

  async marks(): Promise<BaselineMark[]> {
    return (await this.redis.lrange(keys.marks, 0, -1)).map((m) => JSON.parse(m) as BaselineMark);
  }

  async addMark(mark: BaselineMark): Promise<void> {
    await this.redis.rpush(keys.marks, JSON.stringify(mark));
  }

  /** Forgets every mark; returns how many there were. */
  async clearMarks(): Promise<number> {
    const n = await this.redis.llen(keys.marks);
    await this.redis.del(keys.marks);
    return n;
  }

  async activeId(scope: string): Promise<string | null> {
    return this.redis.get(keys.active(scope));
  }

  async subscribe(onPromote: (scope: string, id: string) => void): Promise<() => Promise<void>> {
    // A subscribed connection can run no other command, hence a second one.
    this.subscriber ??= new Redis(this.url, { maxRetriesPerRequest: null, lazyConnect: true }).on('error', () => {});
    const sub = this.subscriber;
    if (sub.status === 'wait') await sub.connect();
    const listener = (channel: string, message: string) => {
      if (channel !== keys.channel) return;
      try {
        const { scope, id } = JSON.parse(message) as { scope: string; id: string };
        onPromote(scope, id);
      } catch {
        // A foreign message on our channel is not ours to act on.
      }
    };
    sub.on('message', listener);
    await sub.subscribe(keys.channel);
    return async () => {
      sub.off('message', listener);
    };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }
}

