// Preloaded into a child process (`node --import <this file> ...`): on exit, writes the
// process's peak resident set size (VmHWM, KiB) to the file named by NIDS_PEAK_RSS_FILE.
import { readFileSync, writeFileSync } from 'node:fs';
/* global process */

process.on('exit', () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (process.env.NIDS_PEAK_RSS_FILE && m) writeFileSync(process.env.NIDS_PEAK_RSS_FILE, m[1]);
});
