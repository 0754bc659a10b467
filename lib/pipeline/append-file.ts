// What the sink's idempotent files (the CSV, the JSON-lines outputs) share: a file of
// complete lines, appended to and synced before a batch is committed. A crash mid-write
// leaves a torn last line; it is cut off on open, and its record is written again on replay.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/** The file's complete lines (none when it does not exist), after cutting off a torn last line. */
export function readCompleteLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) {
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, complete)));
    closeSync(fd);
  }
  return complete === 0 ? [] : text.slice(0, complete - 1).split('\n');
}

/** Appends `text` (whole lines); durable when it returns if `sync`. */
export function appendLines(fd: number, text: string, sync: boolean): void {
  if (text.length === 0) return;
  writeSync(fd, text);
  if (sync) fsyncSync(fd);
}
