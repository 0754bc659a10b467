// The publisher's back-pressure signals, against a producer whose acknowledgements the test
// releases by hand: `saturated` while max-pending batches are unacknowledged (a live capture
// drops flows then), drain() waits for the same, and a failed send is reported once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, type Producer } from 'kafkajs';
import { FlowPublisher } from '../../../services/sensor/publisher.ts';
import type { AvroCodec } from '../../../lib/avro/codec.ts';
import type { Flow } from '../../../lib/flow/record.ts';
import { makeFlow } from '../../helpers/flows.ts';

function fakeProducer() {
  const acks: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const producer = {
    send: () => new Promise<void>((resolve, reject) => acks.push({ resolve, reject })),
  } as unknown as Producer;
  return { producer, acks };
}
const codec = { encode: (f: Flow) => Buffer.from(f.flow_id) } as unknown as AvroCodec<Flow>;
const tick = () => new Promise((r) => setImmediate(r));

test('saturated while max-pending batches are unacknowledged; drain waits for the same', async () => {
  const { producer, acks } = fakeProducer();
  const failures: Error[] = [];
  const p = new FlowPublisher(producer, codec, { topic: 't', compression: CompressionTypes.None, batchSize: 2, lingerMs: 10_000, maxPendingBatches: 2, onFailure: (e) => failures.push(e) });
  for (let i = 0; i < 3; i++) p.push(makeFlow({ flow_id: `f${i}` }));
  assert.equal(acks.length, 1);
  assert.equal(p.saturated, false);
  assert.equal(p.drain(), undefined);
  p.push(makeFlow({ flow_id: 'f3' }));
  assert.equal(acks.length, 2);
  assert.equal(p.saturated, true);
  const waiting = p.drain();
  assert.ok(waiting, 'drain waits while saturated');
  acks[0]!.resolve();
  await waiting;
  assert.equal(p.saturated, false);
  assert.equal(p.published, 2);
  acks[1]!.reject(new Error('broker gone'));
  await tick();
  acks.length = 0;
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /publishing to t failed: broker gone/);
  await assert.rejects(p.drain()!, /broker gone/);
  p.push(makeFlow({ flow_id: 'f4' }));
  p.push(makeFlow({ flow_id: 'f5' }));
  acks[0]!.reject(new Error('again'));
  await tick();
  assert.equal(failures.length, 1, 'reported once');
});
