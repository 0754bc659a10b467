// Structured JSON logs on stderr, so stdout stays free for data a command prints.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: `nids-${service}`, level, base: { service } }, pino.destination(2));
}
