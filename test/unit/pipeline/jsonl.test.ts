import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlWriter } from '../../../lib/pipeline/jsonl.ts';

type Rec = { id: string; n: number };
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

test('each id is written once, across a reopen; a torn last line is cut off and written again', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-jsonl-')), 'x.jsonl');
  const w = new JsonlWriter<Rec>(path, (r) => r.id);
  assert.equal(w.write([{ id: 'a', n: 1 }, { id: 'b', n: 2 }, { id: 'a', n: 3 }]), 2);
  assert.equal(w.duplicatesDropped, 1);
  w.close();
  appendFileSync(path, '{"id":"c","n":'); // a crash mid-write
  const again = new JsonlWriter<Rec>(path, (r) => r.id);
  assert.equal(again.write([{ id: 'b', n: 9 }, { id: 'c', n: 4 }]), 1, 'the replayed b is dropped, the torn c written');
  again.close();
  assert.deepEqual(lines(path), [{ id: 'a', n: 1 }, { id: 'b', n: 2 }, { id: 'c', n: 4 }]);
});

test('a file that is not nids JSON lines is refused with a line naming it', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nids-jsonl-')), 'x.jsonl');
  writeFileSync(path, '{"id":"a"}\nnot json\n');
  assert.throws(() => new JsonlWriter<Rec>(path, (r) => r.id), new RegExp(`^Error: ${path}:2: not a JSON line of nids`));
});
