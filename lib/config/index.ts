// One declarative config schema per service: each setting has a flag, an environment
// variable, a default and a parser. Flags win over the environment, the environment over
// defaults. Anything invalid stops start-up with an error that names the setting.
//
// A default is written once, in the spec that declares the setting (shared specs live in
// common.ts and stages.ts); code that runs without a command line asks defaultsOf().
import { parseIsoMicros } from '../time/index.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Setting<T> {
  /** Long flag without dashes, e.g. 'brokers' for --brokers. */
  flag: string;
  /** Environment variable, e.g. 'KAFKA_BROKERS'. */
  env?: string;
  help: string;
  /** Default value; undefined means the setting is required. */
  default?: T;
  parse: (raw: string, name: string) => T;
  /** A boolean switch: `--flag` alone means true. */
  boolean?: boolean;
  /** Redacted in logs. */
  secret?: boolean;
  /** Placeholder shown in --help. */
  metavar?: string;
  /** How --help shows the default, when String(default) would not say it well. */
  defaultText?: string;
}

export type Spec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

const fail = (name: string, message: string): never => {
  throw new ConfigError(`${name}: ${message}`);
};

export const str = (s: Omit<Setting<string>, 'parse'>): Setting<string> => ({
  ...s,
  parse: (raw, name) => (raw.length > 0 ? raw : fail(name, 'must not be empty')),
});

export const optionalStr = (s: Omit<Setting<string | undefined>, 'parse' | 'default'>): Setting<string | undefined> => ({
  ...s,
  default: undefined as string | undefined,
  parse: (raw) => (raw.length > 0 ? raw : undefined),
});

export const num = (
  s: Omit<Setting<number>, 'parse'> & { min?: number; max?: number; integer?: boolean },
): Setting<number> => ({
  ...s,
  parse: (raw, name) => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) return fail(name, `expected a number, got "${raw}"`);
    if (s.integer && !Number.isInteger(v)) return fail(name, `expected a whole number, got "${raw}"`);
    if (s.min !== undefined && v < s.min) return fail(name, `must be >= ${s.min}, got ${raw}`);
    if (s.max !== undefined && v > s.max) return fail(name, `must be <= ${s.max}, got ${raw}`);
    return v;
  },
});

export const bool = (s: Omit<Setting<boolean>, 'parse' | 'boolean'>): Setting<boolean> => ({
  ...s,
  boolean: true,
  parse: (raw, name) => {
    const v = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on', ''].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return fail(name, `expected true or false, got "${raw}"`);
  },
});

export const oneOf = <T extends string>(
  choices: readonly T[],
  s: Omit<Setting<T>, 'parse'>,
): Setting<T> => ({
  ...s,
  metavar: s.metavar ?? choices.join('|'),
  parse: (raw, name) =>
    (choices as readonly string[]).includes(raw) ? (raw as T) : fail(name, `expected one of ${choices.join(', ')}, got "${raw}"`),
});

/** An ISO-8601 time, parsed to epoch microseconds; optional (undefined when not given). */
export const optionalIsoTime = (s: Omit<Setting<number | undefined>, 'parse' | 'default'>): Setting<number | undefined> => ({
  ...s,
  metavar: s.metavar ?? 'iso-time',
  default: undefined as number | undefined,
  parse: (raw, name) => (raw === '' ? undefined : (parseIsoMicros(raw) ?? fail(name, `not an ISO-8601 time: "${raw}"`))),
});

/** An ISO-8601 time with a default (ISO text), parsed to epoch microseconds. */
export const isoTime = (s: Omit<Setting<number>, 'parse' | 'default'> & { default: string }): Setting<number> => {
  const parse = (raw: string, name: string): number => parseIsoMicros(raw) ?? fail(name, `not an ISO-8601 time: "${raw}"`);
  return { ...s, metavar: s.metavar ?? 'iso-time', default: parse(s.default, `--${s.flag}`), defaultText: s.default, parse };
};

/** A comma-separated subset of `choices`; empty means none. */
export const subsetOf = <T extends string>(
  choices: readonly T[],
  s: Omit<Setting<T[]>, 'parse' | 'default'> & { default?: T[] },
): Setting<T[]> => ({
  ...s,
  default: s.default ?? [],
  defaultText: s.default?.length ? s.default.join(',') : 'none',
  metavar: s.metavar ?? choices.join(','),
  parse: (raw, name) => {
    const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
    for (const x of items) if (!(choices as readonly string[]).includes(x)) fail(name, `unknown value "${x}" (choose from ${choices.join(', ')})`);
    return items as T[];
  },
});

export const list = (s: Omit<Setting<string[]>, 'parse'>): Setting<string[]> => ({
  ...s,
  parse: (raw, name) => {
    const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
    return items.length > 0 ? items : fail(name, 'expected a comma-separated list');
  },
});

const label = (s: Setting<unknown>): string => `--${s.flag}${s.env ? ` (${s.env})` : ''}`;

/**
 * Reads the settings in `spec` from argv and env. Unknown flags are an error, so a typo
 * never silently falls back to a default. Positional arguments are returned as `rest`.
 */
export function loadConfig<S extends Spec>(
  spec: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { config: ConfigOf<S>; rest: string[] } {
  const byFlag = new Map<string, [string, Setting<unknown>]>();
  for (const [key, s] of Object.entries(spec)) byFlag.set(s.flag, [key, s]);
  const raw = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    const entry = byFlag.get(flag) ?? (flag.startsWith('no-') ? byFlag.get(flag.slice(3)) : undefined);
    if (!entry) throw new ConfigError(`unknown option --${flag} (see --help)`);
    const [key, s] = entry;
    if (eq >= 0) raw.set(key, arg.slice(eq + 1));
    else if (s.boolean) raw.set(key, flag.startsWith('no-') ? 'false' : 'true');
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`${label(s)}: needs a value`);
      raw.set(key, next);
      i++;
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const fromFlag = raw.get(key);
    const fromEnv = s.env !== undefined ? env[s.env] : undefined;
    const value = fromFlag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
    if (value !== undefined) config[key] = s.parse(value, label(s));
    else if ('default' in s) config[key] = s.default;
    else throw new ConfigError(`${label(s)}: required`);
  }
  return { config: config as ConfigOf<S>, rest };
}

/** The defaults of a spec, for code that runs without a command line (libraries, benchmarks, tests). */
export function defaultsOf<S extends Spec>(spec: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    if (!('default' in s)) throw new ConfigError(`${label(s)}: has no default`);
    out[key] = s.default;
  }
  return out as ConfigOf<S>;
}

/** The settings of `spec` out of a larger config (a command's config holds several specs). */
export function pick<S extends Spec>(spec: S, config: ConfigOf<S>): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(spec)) out[key] = (config as Record<string, unknown>)[key];
  return out as ConfigOf<S>;
}

/** The effective config for the start-up log line, with secrets redacted. */
export function redacted<S extends Spec>(spec: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const v = (config as Record<string, unknown>)[key];
    out[key] = s.secret && v !== undefined ? '[redacted]' : typeof v === 'string' && v.includes('@') ? redactUrl(v) : v;
  }
  return out;
}

/** The URL with its password replaced by 'redacted'; text that is not a URL as it is. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}

export function helpText(usage: string, description: string, spec: Spec): string {
  const rows = Object.values(spec).map((s) => {
    const left = `  --${s.flag}${s.boolean ? '' : ` <${s.metavar ?? 'value'}>`}`;
    const def = s.defaultText !== undefined ? ` [default: ${s.defaultText}]` : s.default === undefined ? (('default' in s) ? '' : ' (required)') : ` [default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}]`;
    const env = s.env ? ` env ${s.env}.` : '';
    return `${left}\n      ${s.help}${def}${env}`;
  });
  return `${usage}\n\n${description}\n\nOptions:\n${rows.join('\n')}\n  --help\n      Show this help.\n`;
}
