// `nids registry` as an operator runs it: basic auth (also through the services' client,
// with credentials in SCHEMA_REGISTRY_URL), metrics and health beside it, configuration
// errors that name the setting, and hostile requests that get an answer and never take it down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { AvroCodec, connectRegistry } from '../../lib/avro/codec.ts';
import { runNids, waitFor, type Running } from '../helpers/proc.ts';
import { uniqueName } from '../helpers/stack.ts';
import { startRegistry } from '../helpers/registry.ts';

const CT = 'application/vnd.schemaregistry.v1+json';
const AUTH = 'nids-user:s3cret';
let proc: Running;
let url: string;
let metricsPort: number;

before(async () => {
  ({ proc, url, metricsPort } = await startRegistry({ args: ['--basic-auth', AUTH] }));
});
after(async () => {
  await proc?.stop(3000);
});

const basic = (cred: string) => ({ authorization: `Basic ${Buffer.from(cred).toString('base64')}` });

test('basic auth: refused without or with wrong credentials (401, Confluent error body), served with them', async () => {
  for (const headers of [{}, basic('nids-user:wrong'), basic('other:s3cret')]) {
    const res = await fetch(`${url}/subjects`, { headers });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal(((await res.json()) as { error_code: number }).error_code, 401);
  }
  const ok = await fetch(`${url}/subjects`, { headers: basic(AUTH) });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), []);
});

test('the services\' client takes credentials from the registry URL and registers and decodes through them', async () => {
  const authed = url.replace('http://', `http://${AUTH}@`);
  const codec = await AvroCodec.forTopic<{ sensor_id: string }>(connectRegistry(authed), uniqueName('auth-topic'), 'flow');
  assert.ok(codec.schemaId >= 1);
  const unauthenticated = connectRegistry(url);
  await assert.rejects(() => unauthenticated.getSchema(codec.schemaId), /401|Unauthorized/);
});

test('metrics and health on the metrics port, without credentials', async () => {
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
  await waitFor('ready', async () => ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200 ? true : undefined), 10_000, 100);
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(text, /^nids_registry_request_seconds_count\{[^}]*route="\/subjects"[^}]*status="401"[^}]*\} [1-9]/m);
  assert.match(text, /^nids_registry_schemas\{[^}]*\} [1-9]/m);
});

test('hostile requests get an answer with a Confluent error body, and the registry stays up', async () => {
  const h = { ...basic(AUTH), 'content-type': CT };
  const cases: [string, RequestInit, number][] = [
    ['/subjects/x/versions', { method: 'POST', headers: h, body: '{"schema": ' }, 400],
    ['/subjects/x/versions', { method: 'POST', headers: h, body: '[]' }, 422],
    ['/subjects/x/versions', { method: 'POST', headers: h, body: '{"schema": 42}' }, 422],
    ['/subjects/x/versions', { method: 'POST', headers: h, body: JSON.stringify({ schema: '{"type":"record","name":"A","fields":[{"name":"a","type":"A"}' }) }, 422],
    ['/subjects/x/versions', { method: 'POST', headers: h, body: JSON.stringify({ schema: '"int"', references: 'nope' }) }, 422],
    ['/subjects/x/versions', { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: '{}' }, 415],
    ['/subjects/x/versions', { method: 'POST', headers: h, body: JSON.stringify({ schema: 'x'.repeat(5 * 1024 * 1024) }) }, 413],
    ['/subjects/x/versions/99999999999', { headers: h }, 422],
    ['/schemas/ids/-1', { headers: h }, 404],
    ['/schemas/ids/%ff', { headers: h }, 400],
    ['/config', { method: 'PUT', headers: h, body: JSON.stringify({ compatibility: { $gt: 1 } }) }, 422],
    ['/mode', { method: 'PUT', headers: h, body: JSON.stringify({ mode: 'IMPORT' }) }, 422],
    ['/no/such/path', { headers: h }, 404],
    ['/subjects', { method: 'PATCH', headers: h }, 404],
  ];
  for (const [path, init, status] of cases) {
    let res: Response;
    try {
      res = await fetch(url + path, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      // A body over the limit is answered 413 as soon as its length is known, and the
      // connection closed while the client is still sending: fetch may see only the close.
      if (status === 413) continue;
      throw err;
    }
    const body = (await res.json()) as { error_code: number; message: string };
    assert.equal(res.status, status, `${init.method ?? 'GET'} ${path}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error_code, 'number', `${path}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.message, 'string');
  }
  // Raw garbage on the socket, then a normal request still works.
  const answer = await new Promise<string>((resolve) => {
    let got = '';
    const s = connect(Number(new URL(url).port), '127.0.0.1', () => s.end('\x00\x01GARBAGE / HTTP/9.9\r\n\r\n'));
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.setTimeout(10_000, () => s.destroy());
  });
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.equal(proc.child.exitCode, null, 'the registry is still running');
  assert.equal((await fetch(`${url}/`, { headers: basic(AUTH) })).status, 200);
});

test('bad configuration stops start-up, naming the setting', async () => {
  for (const [args, setting] of [
    [['--basic-auth', 'no-colon'], /--basic-auth/],
    [['--default-compatibility', 'SIDEWAYS'], /--default-compatibility/],
    [['--path-prefixes', 'no-slash'], /--path-prefixes/],
    [['--port', '70000'], /--port/],
  ] as const) {
    await assert.rejects(() => runNids(['registry', ...args], {}, 30_000), (err: Error) => {
      assert.match(err.message, /exited 2/);
      assert.match(err.message, setting);
      return true;
    });
  }
});
