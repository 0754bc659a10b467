// Where trained models live and which one is in force, per scope. Two implementations of
// one interface: Redis for the distributed services (DESIGN.md: Model store) and memory
// for the embedded mode. Model ids are content hashes, so the same forest trained twice
// (same flows, same seed) has the same id in both modes.
import { createHash } from 'node:crypto';

export interface ModelMeta {
  id: string;
  created_at: string;
  scope: string;
  feature_version: string;
  n_samples: number;
  /** The baseline window, ISO-8601 `start/end` of the flows it was fitted on. */
  window: string;
  threshold: number;
  /** JSON of the training parameters. */
  params: string;
  /** The promotion guard's verdict (lib/loop/guard.ts); absent for models stored without one. */
  status?: 'promoted' | 'refused' | 'stored';
  /** Why the guard refused the model. */
  refused_reason?: string;
  /** JSON of the guard's figures (GuardResult) and of the window's counts. */
  guard?: string;
}

/** A time range an operator vouched for (`clean`) or ruled out (`exclude`) as a baseline. */
export interface BaselineMark {
  kind: 'clean' | 'exclude';
  /** Epoch microseconds, [from, to). */
  from: number;
  to: number;
}

export interface StoredModel {
  meta: ModelMeta;
  bytes: Uint8Array;
}

export interface ModelStore {
  save(bytes: Uint8Array, meta: Omit<ModelMeta, 'id'>): Promise<ModelMeta>;
  load(id: string): Promise<StoredModel>;
  /** Makes `id` the model in force for `scope` and tells every subscriber. */
  promote(scope: string, id: string): Promise<void>;
  activeId(scope: string): Promise<string | null>;
  /** Calls `onPromote` for every promotion; returns an unsubscribe function. */
  subscribe(onPromote: (scope: string, id: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class ModelNotFoundError extends Error {
  override name = 'ModelNotFoundError';
}

export const modelId = (bytes: Uint8Array): string => `m-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;

export const keys = {
  model: (id: string) => `nids:model:${id}`,
  meta: (id: string) => `nids:model:${id}:meta`,
  active: (scope: string) => `nids:model:active:${scope}`,
  /** Sorted set of a scope's model ids, scored by creation time (ms): what retention prunes. */
  scope: (scope: string) => `nids:model:scope:${scope}`,
  /** List of a scope's active ids, newest first: what rollback goes back along. */
  history: (scope: string) => `nids:model:history:${scope}`,
  channel: 'nids:model:updates',
  /** List of JSON BaselineMark: the ranges `nids baseline mark` recorded. */
  marks: 'nids:baseline:marks',
} as const;

export class MemoryModelStore implements ModelStore {
  private models = new Map<string, StoredModel>();
  private active = new Map<string, string>();
  private listeners = new Set<(scope: string, id: string) => void>();

  async save(bytes: Uint8Array, meta: Omit<ModelMeta, 'id'>): Promise<ModelMeta> {
    const full = { ...meta, id: modelId(bytes) };
    this.models.set(full.id, { meta: full, bytes: Uint8Array.from(bytes) });
    return full;
  }

  async load(id: string): Promise<StoredModel> {
    const m = this.models.get(id);
    if (!m) throw new ModelNotFoundError(`model ${id} is not in the store`);
    return m;
  }

  async promote(scope: string, id: string): Promise<void> {
    if (!this.models.has(id)) throw new ModelNotFoundError(`cannot promote ${id}: not in the store`);
    this.active.set(scope, id);
    for (const l of this.listeners) l(scope, id);
  }

  async activeId(scope: string): Promise<string | null> {
    return this.active.get(scope) ?? null;
  }

  async subscribe(onPromote: (scope: string, id: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(onPromote);
    return async () => void this.listeners.delete(onPromote);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
