// Shared by the benchmarks: one JSON line per measurement, peers side by side.
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../', import.meta.url));

export function emit(bench: string, impl: string, value: number, unit: string): void {
  process.stdout.write(JSON.stringify({ bench, impl, value: Number(value.toFixed(2)), unit }) + '\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
