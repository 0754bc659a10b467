// sendAll splits a stage's outputs into requests under produceMaxBytes (a broker refuses a
// record batch above its message.max.bytes and kafkajs does not split one), keeping every
// record, its topic and the order within a topic. The producer here only records requests;
// the real brokers' side is covered by the pipeline tests on the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer } from 'kafkajs';
import { sendAll, type OutMessage } from '../../../lib/kafka/index.ts';

function recordingProducer() {
  const requests: { topic: string; messages: OutMessage[] }[][] = [];
  const producer = {
    sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: OutMessage[] }[] }) => void requests.push(topicMessages),
  } as unknown as Producer;
  return { producer, requests };
}

const message = (i: number, bytes: number): OutMessage => ({ key: `k${i}`, value: Buffer.alloc(bytes, i % 256) });

test('outputs over produceMaxBytes go in several requests, each under it, nothing lost or reordered', async () => {
  const { producer, requests } = recordingProducer();
  const scored = Array.from({ length: 50 }, (_, i) => message(i, 1000));
  const anomalies = Array.from({ length: 7 }, (_, i) => message(100 + i, 1000));
  await sendAll(producer, new Map([['scored', scored], ['anomalies', anomalies], ['empty', []]]), { compression: 'none', produceMaxBytes: 10_000 });
  assert.ok(requests.length >= 6, `${requests.length} requests`);
  for (const r of requests) {
    const bytes = r.flatMap((t) => t.messages).reduce((n, m) => n + m.value.length, 0);
    assert.ok(bytes <= 10_000, `a request of ${bytes} bytes`);
  }
  const sent = (topic: string) => requests.flat().filter((t) => t.topic === topic).flatMap((t) => t.messages);
  assert.deepEqual(sent('scored'), scored);
  assert.deepEqual(sent('anomalies'), anomalies);
  assert.equal(sent('empty').length, 0);
});

test('a record larger than produceMaxBytes still goes, alone in its request', async () => {
  const { producer, requests } = recordingProducer();
  const big = [message(1, 50), message(2, 5000), message(3, 50)];
  await sendAll(producer, new Map([['t', big]]), { compression: 'none', produceMaxBytes: 2000 });
  assert.deepEqual(requests.map((r) => r.flatMap((t) => t.messages).map((m) => m.key)), [['k1'], ['k2'], ['k3']]);
});

test('nothing to send makes no request', async () => {
  const { producer, requests } = recordingProducer();
  await sendAll(producer, new Map([['t', []]]), { compression: 'none', produceMaxBytes: 2000 });
  assert.equal(requests.length, 0);
});
