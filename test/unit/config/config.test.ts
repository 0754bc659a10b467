import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, bool, helpText, list, loadConfig, num, oneOf, optionalStr, redacted, str } from '../../../lib/config/index.ts';

const spec = {
  brokers: list({ flag: 'brokers', env: 'KAFKA_BROKERS', default: ['127.0.0.1:9092'], help: 'brokers' }),
  batch: num({ flag: 'batch-size', env: 'BATCH', default: 10, integer: true, min: 1, help: 'batch' }),
  mode: oneOf(['a', 'b'] as const, { flag: 'mode', default: 'a', help: 'mode' }),
  promote: bool({ flag: 'promote', default: true, help: 'promote' }),
  input: optionalStr({ flag: 'input', help: 'input' }),
  url: str({ flag: 'redis', default: 'redis://:hunter2@127.0.0.1:6379', help: 'redis' }),
  password: str({ flag: 'password', default: 'x', secret: true, help: 'secret' }),
};

test('defaults, then environment, then flags win', () => {
  assert.deepEqual(loadConfig(spec, [], {}).config.brokers, ['127.0.0.1:9092']);
  assert.equal(loadConfig(spec, [], { BATCH: '20' }).config.batch, 20);
  assert.equal(loadConfig(spec, ['--batch-size', '30'], { BATCH: '20' }).config.batch, 30);
  assert.equal(loadConfig(spec, ['--batch-size=40'], {}).config.batch, 40);
  assert.deepEqual(loadConfig(spec, ['--brokers', 'a:1, b:2'], {}).config.brokers, ['a:1', 'b:2']);
});

test('boolean switches and their --no- form', () => {
  assert.equal(loadConfig(spec, ['--promote'], {}).config.promote, true);
  assert.equal(loadConfig(spec, ['--no-promote'], {}).config.promote, false);
});

test('positional arguments are returned, optional settings stay undefined', () => {
  const { config, rest } = loadConfig(spec, ['list', '--mode', 'b', 'x'], {});
  assert.deepEqual(rest, ['list', 'x']);
  assert.equal(config.input, undefined);
  assert.equal(config.mode, 'b');
});

test('bad values stop with an error naming the setting', () => {
  assert.throws(() => loadConfig(spec, ['--batch-size', '0'], {}), (e: Error) => e instanceof ConfigError && /--batch-size \(BATCH\): must be >= 1/.test(e.message));
  assert.throws(() => loadConfig(spec, [], { BATCH: 'lots' }), /--batch-size \(BATCH\): expected a number, got "lots"/);
  assert.throws(() => loadConfig(spec, ['--batch-size', '1.5'], {}), /whole number/);
  assert.throws(() => loadConfig(spec, ['--mode', 'c'], {}), /--mode: expected one of a, b, got "c"/);
  assert.throws(() => loadConfig(spec, ['--nope'], {}), /unknown option --nope/);
  assert.throws(() => loadConfig(spec, ['--mode'], {}), /--mode: needs a value/);
  const required = { x: str({ flag: 'x', env: 'X', help: 'x' }) };
  assert.throws(() => loadConfig(required, [], {}), /--x \(X\): required/);
});

test('the logged config hides secrets and URL passwords', () => {
  const { config } = loadConfig(spec, [], {});
  const shown = redacted(spec, config);
  assert.equal(shown.password, '[redacted]');
  assert.equal(shown.url, 'redis://:redacted@127.0.0.1:6379');
  assert.doesNotMatch(JSON.stringify(shown), /hunter2/);
});

test('help lists every flag with its env and default', () => {
  const text = helpText('Usage: x', 'does x', spec);
  for (const s of Object.values(spec)) assert.match(text, new RegExp(`--${s.flag}`));
  assert.match(text, /env KAFKA_BROKERS/);
  assert.match(text, /\[default: 10\]/);
});
