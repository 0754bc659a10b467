// Time as the flow records carry it: whole microseconds since the epoch (Avro
// timestamp-micros), to and from ISO-8601 text.

export const nowMicros = (): number => Date.now() * 1000;

/** ISO-8601 text -> epoch microseconds; null when it is not a time. */
export function parseIsoMicros(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms * 1000;
}

/** Epoch microseconds -> ISO-8601 UTC with all six fraction digits, e.g. 2023-11-14T22:13:20.123456Z. */
export function formatIsoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const frac = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + frac + 'Z';
}
