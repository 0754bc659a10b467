// `nids baseline`: time ranges the continuous trainer must treat specially, kept in Redis.
// `mark --from --to` vouches for a range (kept whole even where the scorers flagged flows);
// `mark --exclude` rules one out (never learned as normal, e.g. a pentest).
import { bool, ConfigError, helpText, loadConfig, optionalIsoTime } from '../lib/config/index.ts';
import { redisSettings } from '../lib/config/common.ts';
import { RedisModelStore } from '../lib/modelstore/redis.ts';
import { formatIsoMicros } from '../lib/time/index.ts';

const spec = {
  redis: redisSettings.redis,
  from: optionalIsoTime({ flag: 'from', help: 'mark: start of the range (inclusive).' }),
  to: optionalIsoTime({ flag: 'to', help: 'mark: end of the range (exclusive).' }),
  exclude: bool({ flag: 'exclude', default: false, help: 'mark: rule the range out of every baseline instead of vouching for it.' }),
};

const USAGE = `Usage:
  nids baseline mark --from <iso> --to <iso> [--exclude]   record a known-clean (or excluded) range
  nids baseline list                                       the recorded ranges
  nids baseline clear                                      forget every range`;

export async function run(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(USAGE, 'Known-clean and excluded time ranges of the baseline window (Redis key nids:baseline:marks), read by the trainer at each turn.', spec));
    return argv.length === 0 ? 2 : 0;
  }
  let store: RedisModelStore | null = null;
  try {
    const { config, rest } = loadConfig(spec, argv);
    const [verb] = rest;
    if (verb !== 'mark' && verb !== 'list' && verb !== 'clear') throw new ConfigError(`unknown verb "${verb ?? ''}"\n${USAGE}`);
    if (verb === 'mark') {
      if (config.from === undefined || config.to === undefined) throw new ConfigError('mark: needs --from and --to');
      if (config.from >= config.to) throw new ConfigError('mark: --from must be before --to');
    }
    store = await new RedisModelStore(config.redis).connect();
    if (verb === 'mark') {
      const kind = config.exclude ? 'exclude' : 'clean';
      await store.addMark({ kind, from: config.from!, to: config.to! });
      process.stdout.write(`${kind} ${formatIsoMicros(config.from!)}/${formatIsoMicros(config.to!)}\n`);
    } else if (verb === 'list') {
      for (const m of await store.marks()) process.stdout.write(`${m.kind} ${formatIsoMicros(m.from)}/${formatIsoMicros(m.to)}\n`);
    } else {
      process.stdout.write(`cleared ${await store.clearMarks()} range(s)\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`nids baseline: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  } finally {
    await store?.close();
  }
}
