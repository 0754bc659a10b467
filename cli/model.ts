// `nids model`: what is in the model store and which model is in force, and the moves an
// operator makes by hand: promote (or roll back to) a model, import one trained offline.
import { readFileSync } from 'node:fs';
import { checkOutFile, writeFileAtomic } from '../lib/output/index.ts';
import { ConfigError, helpText, loadConfig, optionalStr } from '../lib/config/index.ts';
import { redisSettings } from '../lib/config/common.ts';
import { promoteSetting } from '../lib/config/stages.ts';
import { RedisModelStore } from '../lib/modelstore/redis.ts';
import { Detector } from '../lib/detector/index.ts';
import { modelMetaOf } from '../lib/pipeline/train.ts';

const spec = {
  ...redisSettings,
  out: optionalStr({ flag: 'out', env: 'NIDS_MODEL_OUT', metavar: 'file', help: 'export: where to write the model.' }),
  promote: { ...promoteSetting, help: 'import: make the imported model active (--no-promote: store only).' },
};

const USAGE = `Usage:
  nids model list                    models in Redis, newest first; * marks the active one
  nids model show <id>               a model's metadata
  nids model promote <id>            make <id> the active model of --scope (scorers reload it)
  nids model export <id> --out <f>   write a model's bytes to a file
  nids model import <file> [--no-promote]
                                     store a model file (e.g. from nids analyze) and promote it`;

export async function run(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(USAGE, 'Manage the models in the Redis model store.', spec));
    return argv.length === 0 ? 2 : 0;
  }
  let parsed;
  try {
    parsed = loadConfig(spec, argv);
  } catch (err) {
    process.stderr.write(`nids model: ${(err as Error).message}\n`);
    return 2;
  }
  const { config, rest } = parsed;
  const [verb, arg] = rest;
  const need = (what: string): string => {
    if (!arg) throw new ConfigError(`${verb}: needs ${what}`);
    return arg;
  };
  let store: RedisModelStore | null = null;
  try {
    store = await new RedisModelStore(config.redis).connect();
    switch (verb) {
      case 'list': {
        const active = await store.activeId(config.scope);
        const models = await store.list();
        if (models.length === 0) process.stdout.write('no models stored; train one with `nids trainer`\n');
        for (const m of models) {
          process.stdout.write(`${m.id === active ? '*' : ' '} ${m.id}  ${m.created_at}  scope=${m.scope}  samples=${m.n_samples}  threshold=${m.threshold}  window=${m.window}\n`);
        }
        return 0;
      }
      case 'show': {
        const { meta, bytes } = await store.load(need('a model id'));
        process.stdout.write(JSON.stringify({ ...meta, bytes: bytes.length }, null, 2) + '\n');
        return 0;
      }
      case 'promote': {
        await store.promote(config.scope, need('a model id'));
        process.stdout.write(`${arg} is now active for scope ${config.scope}\n`);
        return 0;
      }
      case 'export': {
        if (!config.out) throw new ConfigError('export: needs --out <file>');
        checkOutFile(config.out);
        // Through a temporary file: a failed export (disk full, interrupted) leaves an earlier file whole.
        writeFileAtomic(config.out, (await store.load(need('a model id'))).bytes);
        process.stdout.write(`wrote ${config.out}\n`);
        return 0;
      }
      case 'import': {
        const bytes = new Uint8Array(readFileSync(need('a model file')));
        const meta = await store.save(bytes, modelMetaOf(Detector.deserialize(bytes), config.scope, `imported from ${arg}`));
        if (config.promote) await store.promote(config.scope, meta.id);
        process.stdout.write(`${meta.id}${config.promote ? ` (active for scope ${config.scope})` : ''}\n`);
        return 0;
      }
      default:
        throw new ConfigError(`unknown verb "${verb ?? ''}"\n${USAGE}`);
    }
  } catch (err) {
    process.stderr.write(`nids model: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  } finally {
    await store?.close();
  }
}
