// The exit statuses of every nids command, in one place (documented in --help and the README).
import { ConfigError } from '../lib/config/index.ts';

export const EXIT = {
  /** Done: every input read to its end, every output written. */
  OK: 0,
  /** An input or output cannot be used (missing, unreadable, not a capture/model/CSV, disk full) or the run failed: nothing written, earlier results left as they were. */
  FAILED: 1,
  /** The command line is wrong (unknown option, bad value, missing or conflicting options). */
  USAGE: 2,
  /** An input is damaged: what came before the damage was processed and the outputs are written, marked partial. */
  DAMAGED: 3,
  /** Stopped by SIGINT (128 + 2): outputs written from what was read, marked partial. */
  SIGINT: 130,
  /** Stopped by SIGTERM (128 + 15): the same. */
  SIGTERM: 143,
} as const;

export const EXIT_HELP =
  'Exit status: 0 done; 1 an input or output cannot be used or the run failed (nothing written, earlier results kept); ' +
  '2 usage error; 3 input damaged, partial result written; 130/143 stopped by SIGINT/SIGTERM, partial result written.';

export const exitCodeOf = (err: unknown): number => (err instanceof ConfigError ? EXIT.USAGE : EXIT.FAILED);

export const signalExit = (signal: NodeJS.Signals): number => (signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT);
