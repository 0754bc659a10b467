// What every long-running service does the same way: parse and validate its config (or
// print --help), log the effective config with secrets redacted, serve metrics and
// health, and shut down gracefully on SIGINT/SIGTERM.
import { ConfigError, helpText, loadConfig, redacted, type ConfigOf, type Spec } from '../config/index.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { createRegistry, startMetricsServer, type MetricsServer } from '../metrics/index.ts';
import { opsSettings } from '../config/common.ts';

export interface ServiceContext<S extends Spec> {
  config: ConfigOf<S & typeof opsSettings>;
  log: Logger;
  metrics: MetricsServer;
  /** Resolves when SIGINT/SIGTERM arrives. */
  stopped: Promise<string>;
  isStopping(): boolean;
}

export interface ServiceDef<S extends Spec> {
  name: string;
  usage: string;
  description: string;
  spec: S;
  /** Checks settings that are valid one by one but not together; throws a ConfigError. */
  validate?: (config: ConfigOf<S>) => void;
  /** Runs until `ctx.stopped` resolves (or the work ends); returns the exit code. */
  main(ctx: ServiceContext<S>): Promise<number>;
}

export async function runService<S extends Spec>(def: ServiceDef<S>, argv: string[]): Promise<number> {
  const spec = { ...def.spec, ...opsSettings } as S & typeof opsSettings;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(def.usage, def.description, spec));
    return 0;
  }
  let config: ConfigOf<S & typeof opsSettings>;
  try {
    ({ config } = loadConfig(spec, argv));
    def.validate?.(config as unknown as ConfigOf<S>);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nids ${def.name}: invalid configuration: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Generic S hides the ops settings' types from the compiler; they are always present.
  const ops = config as unknown as ConfigOf<typeof opsSettings>;
  const log = createLogger(def.name, ops.logLevel);
  log.info({ config: redacted(spec, config) }, `starting nids ${def.name}`);
  const metrics = await startMetricsServer(createRegistry(def.name), ops.metricsHost, ops.metricsPort);
  log.info({ port: metrics.port }, 'metrics on /metrics, health on /healthz and /readyz');

  let stopping = false;
  let onStop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (onStop = resolve));
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
    stopping = true;
    metrics.setReady(false, 'shutting down');
    log.info({ signal }, 'shutting down: flushing and committing');
    onStop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await def.main({ config, log, metrics, stopped, isStopping: () => stopping });
  } catch (err) {
    // One line, no stack trace: the message names what failed (the stack is logged at debug).
    log.debug({ err }, 'failure details');
    log.fatal(`nids ${def.name} failed: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    await metrics.close();
    log.info('stopped');
    log.flush();
  }
}
