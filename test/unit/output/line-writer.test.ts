import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineWriter } from '../../../lib/output/line-writer.ts';

test('lines reach the file byte for byte, in order: multi-byte text, lines filling the buffer, a line larger than it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nids-line-writer-'));
  try {
    const path = join(dir, 'out.jsonl');
    const fd = openSync(path, 'w');
    const w = new LineWriter(fd);
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`{"n":${i},"text":"résumé ✓ ${'x'.repeat(i % 500)}"}\n`);
    lines.push('y'.repeat(3 << 20) + '\n'); // beyond the 1 MiB buffer
    lines.push('after the large line\n');
    for (const l of lines) w.add(l);
    assert.ok(readFileSync(path).length < Buffer.byteLength(lines.join('')), 'not all written before flush');
    w.flush(true);
    closeSync(fd);
    assert.equal(readFileSync(path, 'utf8'), lines.join(''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
