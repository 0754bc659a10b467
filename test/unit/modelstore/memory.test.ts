import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryModelStore, modelId, ModelNotFoundError } from '../../../lib/modelstore/index.ts';

const meta = { created_at: '2026-01-01T00:00:00Z', scope: 's', feature_version: 'v', n_samples: 5, window: 'w', threshold: -0.5, params: '{}' };

test('ids are content hashes; promotion notifies subscribers', async () => {
  const store = new MemoryModelStore();
  const bytes = new Uint8Array([1, 2, 3]);
  const m = await store.save(bytes, meta);
  assert.equal(m.id, modelId(bytes));
  assert.equal(m.id, modelId(new Uint8Array([1, 2, 3])));
  assert.notEqual(m.id, modelId(new Uint8Array([1, 2, 4])));
  const seen: string[] = [];
  const off = await store.subscribe((scope, id) => seen.push(`${scope}:${id}`));
  assert.equal(await store.activeId('s'), null);
  await store.promote('s', m.id);
  assert.equal(await store.activeId('s'), m.id);
  assert.deepEqual(seen, [`s:${m.id}`]);
  await off();
  await assert.rejects(store.promote('s', 'm-missing'), ModelNotFoundError);
  await assert.rejects(store.load('m-missing'), /not in the store/);
});
