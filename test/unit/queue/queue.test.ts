import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue } from '../../../lib/queue/index.ts';

test('delivers every item in order, in batches, and ends after close', async () => {
  const q = new BatchQueue<number>(4);
  const got: number[][] = [];
  const consumer = (async () => {
    for await (const b of q.batches(3)) got.push(b);
  })();
  for (let i = 0; i < 10; i++) {
    q.push(i);
    await q.drain();
  }
  q.close();
  await consumer;
  assert.deepEqual(got.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(got.every((b) => b.length <= 3));
});

test('drain blocks the producer while the queue is full', async () => {
  const q = new BatchQueue<number>(2);
  q.push(1);
  assert.equal(q.drain(), undefined);
  q.push(2);
  const wait = q.drain();
  assert.ok(wait instanceof Promise);
  let released = false;
  void wait.then(() => (released = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(released, false);
  const it = q.batches(10);
  assert.deepEqual((await it.next()).value, [1, 2]);
  await wait;
  assert.equal(released, true);
  assert.throws(() => (q.close(), q.push(3)), /push after close/);
});
