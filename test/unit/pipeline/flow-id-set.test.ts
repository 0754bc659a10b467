import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowIdSet } from '../../../lib/pipeline/flow-id-set.ts';
import { flowId } from '../../../lib/flow/table.ts';

test('FlowIdSet: each id is new once, across growth; ids that are not 16 hex digits too', () => {
  const set = new FlowIdSet();
  const ids = Array.from({ length: 50_000 }, (_, i) => flowId('s', `1:community-${i}`, 1.7e15 + i));
  assert.equal(new Set(ids).size, ids.length, 'the generated ids are distinct');
  for (const id of ids) assert.equal(set.add(id), true);
  for (const id of ids) assert.equal(set.add(id), false, `${id} repeated`);
  assert.equal(set.add('0000000000000000'), true);
  assert.equal(set.add('0000000000000000'), false);
  assert.equal(set.add('hand-edited'), true);
  assert.equal(set.add('hand-edited'), false);
  assert.equal(set.size, ids.length + 2);
});
