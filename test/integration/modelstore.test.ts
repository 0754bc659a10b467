// The Redis model store against the real Redis of the local stack: blob and meta round
// trip, atomic promotion with a pub/sub message, and a scorer-side holder that reloads
// on promotion and keeps its last good model when the promoted one cannot be loaded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisModelStore } from '../../lib/modelstore/redis.ts';
import { keys } from '../../lib/modelstore/index.ts';
import { Detector } from '../../lib/detector/index.ts';
import { ActiveModelHolder } from '../../lib/pipeline/active-model.ts';
import { SensorModels, sensorScope } from '../../lib/pipeline/sensor-models.ts';
import { createLogger } from '../../lib/log/index.ts';
import { stackEndpoints, uniqueName } from '../helpers/stack.ts';
import { startNids, waitFor } from '../helpers/proc.ts';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFlow } from '../helpers/flows.ts';

const { redis } = stackEndpoints();
const scope = uniqueName('it-scope');
const flows = Array.from({ length: 80 }, (_, i) => makeFlow({ flow_id: `f${i}`, src_port: 40000 + i, bytes_rev: 1000 + 37 * i, ts_start: 1e15 + i * 1e6 }));
const meta = (d: Detector) => ({ created_at: new Date().toISOString(), scope, feature_version: d.featureVersion, n_samples: d.nSamples, window: 'w', threshold: d.threshold, params: JSON.stringify(d.params) });
const stores: RedisModelStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

test('save, load, promote and hot-reload through pub/sub', async () => {
  const store = await new RedisModelStore(redis).connect();
  stores.push(store);
  const a = Detector.train(flows, { seed: 1 });
  const b = Detector.train(flows, { seed: 2 });
  const ma = await store.save(a.serialize(), meta(a));
  const mb = await store.save(b.serialize(), meta(b));
  const loaded = await store.load(ma.id);
  assert.deepEqual(loaded.bytes, a.serialize());
  assert.equal(loaded.meta.threshold, a.threshold);
  assert.equal(loaded.meta.n_samples, 80);
  assert.ok((await store.list()).some((m) => m.id === mb.id));

  const holder = new ActiveModelHolder(store, scope, createLogger('test', 'silent'));
  await holder.start(60_000);
  await store.promote(scope, ma.id);
  assert.equal((await holder.ready()).id, ma.id);
  await store.promote(scope, mb.id);
  await waitFor('the holder to reload the promoted model', () => (holder.current?.id === mb.id ? true : undefined), 10_000, 50);
  assert.equal(await store.activeId(scope), mb.id);

  // A promotion the holder cannot load keeps the last good model in force.
  const raw = new Redis(redis);
  await raw.set(keys.model('m-broken'), 'not a model');
  await raw.multi().set(keys.active(scope), 'm-broken').publish(keys.channel, JSON.stringify({ scope, id: 'm-broken' })).exec();
  await waitFor('the failed reload to be counted', () => (holder.reloadFailures > 0 ? true : undefined), 10_000, 50);
  assert.equal(holder.current?.id, mb.id);
  await raw.del(keys.model('m-broken'), keys.active(scope));
  raw.disconnect();
  await holder.stop();
});

test('an unreachable Redis gives an error that says what to do', async () => {
  await assert.rejects(new RedisModelStore('redis://127.0.0.1:1').connect(), /cannot connect to redis:\/\/127\.0\.0\.1:1.*stack:up/);
});

test('nids model export writes the model through a temporary file: a failed export leaves the earlier file whole', async () => {
  const store = await new RedisModelStore(redis).connect();
  stores.push(store);
  const d = Detector.train(flows, { seed: 3 });
  const m = await store.save(d.serialize(), meta(d));
  const dir = mkdtempSync(join(tmpdir(), 'nids-export-'));
  try {
    const file = join(dir, 'model.nidsm');
    const ok = await startNids(['model', 'export', m.id, '--out', file, '--redis', redis]).exited;
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(new Uint8Array(readFileSync(file)), d.serialize());
    // An id the store does not hold: an error, and the file from before untouched.
    writeFileSync(file, 'earlier export');
    const missing = await startNids(['model', 'export', 'm-no-such-model', '--out', file, '--redis', redis]).exited;
    assert.notEqual(missing.code, 0);
    assert.equal(readFileSync(file, 'utf8'), 'earlier export');
    // A folder as --out: one line naming it, nothing written.
    const folder = await startNids(['model', 'export', m.id, '--out', dir, '--redis', redis]).exited;
    assert.notEqual(folder.code, 0);
    assert.match(folder.stderr, /is a folder, not a file/);
    assert.doesNotMatch(folder.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('batches scored at once wait for a sensor scope being looked up: none of its first flows gets the global model', async () => {
  const store = await new RedisModelStore(redis).connect();
  stores.push(store);
  const global = Detector.train(flows, { seed: 3 });
  const own = Detector.train(flows, { seed: 4 });
  const sensorScopeName = sensorScope(scope, 'site-x');
  const mg = await store.save(global.serialize(), meta(global));
  const ms = await store.save(own.serialize(), { ...meta(own), scope: sensorScopeName });
  await store.promote(scope, mg.id);
  await store.promote(sensorScopeName, ms.id);
  const models = new SensorModels(store, scope, createLogger('test', 'silent'));
  await models.start();
  await models.global.ready();
  // Two partitions' batches of the same new sensor, assigned concurrently (the scorer's --partitions-concurrently).
  const batch = (from: number) => flows.slice(from, from + 20).map((f) => ({ ...f, sensor_id: 'site-x' }));
  try {
    const assigned = await Promise.all([models.assign(batch(0)), models.assign(batch(20)), models.assign(batch(40))]);
    for (const byModel of assigned) assert.deepEqual([...byModel.keys()].map((m) => m.id), [ms.id]);
  } finally {
    await models.stop();
  }
});
