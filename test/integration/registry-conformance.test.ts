// Conformance of the schema registry at SCHEMA_REGISTRY_URL to the Confluent Schema
// Registry REST contract, through clients we did not write: Confluent's own JavaScript
// client (@confluentinc/schemaregistry), the services' client
// (@kafkajs/confluent-schema-registry), Confluent's Python client (registry_conformance.py)
// and raw HTTP. Every expectation comes from Confluent's published API reference
// (https://docs.confluent.io/platform/current/schema-registry/develop/api.html), its
// "Schema Evolution and Compatibility" page and the clients' documentation, never from our
// implementation. The registry is REQUIRED: without one every test fails, none skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { SchemaRegistryClient, RestError, Compatibility } from '@confluentinc/schemaregistry';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { REPO, requireRegistry, requirePrefixedRegistry, uniqueName } from '../helpers/stack.ts';

const V1_JSON = 'application/vnd.schemaregistry.v1+json';
const HTTP_TIMEOUT_MS = 15_000;
const T = { timeout: 120_000 };

// ---------------------------------------------------------------------------------------
// Raw HTTP

interface Reply {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
  where: string;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  opts: { base?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const base = opts.base ?? requireRegistry();
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] = opts.contentType ?? V1_JSON;
  }
  const res = await fetch(base + path, { method, headers, body: payload, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: parsed, text, where: `${method} ${path}` };
}

/** A 200 whose body is JSON, returned with the shape the API reference documents. */
function ok<R>(r: Reply): R {
  assert.equal(r.status, 200, `${r.where}: expected 200, got ${r.status} ${r.text}`);
  assert.ok(r.body !== undefined, `${r.where}: the body is not JSON: ${r.text}`);
  return r.body as R;
}

/** An error reply: the HTTP status and a body {"error_code": <one of codes>, "message": "..."}. */
function fails(r: Reply, status: number, codes: number | number[]): void {
  const want = Array.isArray(codes) ? codes : [codes];
  assert.equal(r.status, status, `${r.where}: expected HTTP ${status} (error_code ${want.join(' or ')}), got ${r.status} ${r.text}`);
  const b = r.body as { error_code?: unknown; message?: unknown } | undefined;
  assert.ok(b && typeof b === 'object', `${r.where}: the error body is not a JSON object: ${r.text}`);
  assert.ok(want.includes(b.error_code as number), `${r.where}: expected error_code ${want.join(' or ')}, got ${JSON.stringify(b.error_code)} (${r.text})`);
  assert.equal(typeof b.message, 'string', `${r.where}: the error body has no string "message": ${r.text}`);
}

/** 409 for an incompatible schema: error_code 409 (older Confluent) or 40901 (newer). */
const INCOMPATIBLE = [409, 40901];

const enc = encodeURIComponent;

async function registerRaw(subject: string, schema: unknown, extra: Record<string, unknown> = {}, base?: string): Promise<number> {
  const body = { schema: typeof schema === 'string' ? schema : JSON.stringify(schema), ...extra };
  const r = ok<{ id: unknown }>(await call('POST', `/subjects/${enc(subject)}/versions`, body, { base }));
  assert.equal(typeof r.id, 'number', `register under ${subject}: "id" must be a number: ${JSON.stringify(r)}`);
  return r.id as number;
}

async function versionsOf(subject: string, query = ''): Promise<number[]> {
  return ok<number[]>(await call('GET', `/subjects/${enc(subject)}/versions${query}`));
}

async function setLevel(subject: string, level: string): Promise<void> {
  const r = ok<{ compatibility?: string }>(await call('PUT', `/config/${enc(subject)}`, { compatibility: level }));
  assert.equal(r.compatibility, level, `PUT /config/${subject} echoes the request`);
}

// ---------------------------------------------------------------------------------------
// Clients we did not write

function confluent(base = requireRegistry()): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [base], maxRetries: 0, createAxiosDefaults: { timeout: HTTP_TIMEOUT_MS } });
}

function kafkajs(base = requireRegistry()): SchemaRegistry {
  return new SchemaRegistry({ host: base, clientId: 'nids-conformance', retry: { retries: 0 } });
}

/** Confluent's client surfaces registry errors as RestError{status, errorCode}. */
async function confluentRejects(p: Promise<unknown>, status: number, codes: number | number[], what: string): Promise<void> {
  const want = Array.isArray(codes) ? codes : [codes];
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RestError, `${what}: expected a RestError, got ${String(e)}`);
    assert.equal(e.status, status, `${what}: HTTP status (${e.message})`);
    assert.ok(want.includes(e.errorCode), `${what}: expected error_code ${want.join(' or ')}, got ${e.errorCode} (${e.message})`);
    return true;
  });
}

/** The kafkajs client surfaces registry errors with the HTTP status on `status`. */
async function kafkajsRejects(p: Promise<unknown>, status: number, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const s = (e as { status?: unknown }).status;
    assert.equal(s, status, `${what}: expected HTTP ${status} from the kafkajs client, got ${String(s)} (${String(e)})`);
    return true;
  });
}

// ---------------------------------------------------------------------------------------
// Avro schemas

const NS = 'nids.conformance';
/** A fresh Avro name, so a test's schema was never registered before this run. */
const avroName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;
const fingerprint = (schema: string) => avro.Type.forSchema(JSON.parse(schema) as avro.Schema).fingerprint('sha256').toString('hex');

interface Field {
  name: string;
  type: unknown;
  default?: unknown;
  aliases?: string[];
}
const record = (name: string, fields: Field[]) => ({ type: 'record', name, namespace: NS, fields });

const STATE = { type: 'enum', name: 'State', symbols: ['OPEN', 'CLOSED'] };
const BASE: Field[] = [
  { name: 'id', type: 'int' },
  { name: 'port', type: 'int' },
  { name: 'proto', type: 'string', default: 'tcp' },
  { name: 'state', type: STATE },
];
const without = (name: string) => BASE.filter((f) => f.name !== name);
const replace = (name: string, f: Field) => BASE.map((g) => (g.name === name ? f : g));

/**
 * One change from BASE, with the outcome Avro schema resolution gives when the new schema
 * reads data of the old one (backward) and when the old schema reads data of the new one
 * (forward). Confluent's "Schema Evolution and Compatibility": BACKWARD allows deleting
 * fields and adding optional fields; FORWARD allows adding fields and deleting optional
 * fields; FULL only optional ones; int promotes to long but not back; a reader field finds
 * its writer field through its aliases; a reader enum without the writer's symbol fails.
 */
const EVOLUTIONS: { name: string; fields: Field[]; backward: boolean; forward: boolean }[] = [
  { name: 'add a field with a default', fields: [...BASE, { name: 'bytes', type: 'long', default: 0 }], backward: true, forward: true },
  { name: 'add a field without a default', fields: [...BASE, { name: 'bytes', type: 'long' }], backward: false, forward: true },
  { name: 'remove a field with a default', fields: without('proto'), backward: true, forward: true },
  { name: 'remove a field without a default', fields: without('port'), backward: true, forward: false },
  { name: 'change int to long', fields: replace('port', { name: 'port', type: 'long' }), backward: true, forward: false },
  { name: 'change int to string', fields: replace('port', { name: 'port', type: 'string' }), backward: false, forward: false },
  { name: 'rename a field with an alias', fields: replace('port', { name: 'dstPort', type: 'int', aliases: ['port'] }), backward: true, forward: false },
  {
    name: 'add an enum symbol',
    fields: replace('state', { name: 'state', type: { ...STATE, symbols: ['OPEN', 'CLOSED', 'RESET'] } }),
    backward: true,
    forward: false,
  },
];

const LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
type Level = (typeof LEVELS)[number];

function expected(level: Level, e: { backward: boolean; forward: boolean }): boolean {
  if (level === 'NONE') return true;
  if (level.startsWith('BACKWARD')) return e.backward;
  if (level.startsWith('FORWARD')) return e.forward;
  return e.backward && e.forward;
}

// ---------------------------------------------------------------------------------------
// Basics: root, types, content types

test('GET / answers 200 with a JSON object, Content-Type application/vnd.schemaregistry.v1+json', T, async () => {
  const r = await call('GET', '/');
  const body = ok<unknown>(r);
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `GET / is a JSON object: ${r.text}`);
  assert.match(r.contentType, /^application\/vnd\.schemaregistry\.v1\+json/, `Content-Type of GET /: ${r.contentType}`);
});

test('GET /schemas/types lists AVRO, and lists a type exactly when registering it is accepted', T, async () => {
  const types = ok<string[]>(await call('GET', '/schemas/types'));
  assert.ok(Array.isArray(types) && types.every((t) => typeof t === 'string'), `an array of strings: ${JSON.stringify(types)}`);
  assert.ok(types.includes('AVRO'), `AVRO is listed: ${JSON.stringify(types)}`);
  const samples: Record<string, string> = {
    JSON: JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } }),
    PROTOBUF: 'syntax = "proto3";\npackage nids.conformance;\nmessage M { string a = 1; }\n',
  };
  for (const [type, schema] of Object.entries(samples)) {
    const r = await call('POST', `/subjects/${enc(uniqueName('conf-types'))}/versions`, { schemaType: type, schema });
    assert.equal(r.status === 200, types.includes(type), `${type}: listed in /schemas/types (${types.includes(type)}) but register answered ${r.status} ${r.text}`);
  }
});

test('responses carry Content-Type application/vnd.schemaregistry.v1+json, errors too', T, async () => {
  const subject = uniqueName('conf-ctype');
  const id = await registerRaw(subject, '"string"');
  const replies = [
    await call('GET', '/subjects'),
    await call('GET', `/subjects/${enc(subject)}/versions`),
    await call('GET', `/subjects/${enc(subject)}/versions/latest`),
    await call('GET', `/schemas/ids/${id}`),
    await call('GET', '/config'),
    await call('POST', `/subjects/${enc(subject)}`, { schema: '"string"' }),
    await call('GET', `/subjects/${enc(uniqueName('conf-missing'))}/versions`),
    await call('GET', '/schemas/ids/2147483000'),
  ];
  for (const r of replies) {
    assert.match(r.contentType, /^application\/vnd\.schemaregistry\.v1\+json/, `${r.where} (${r.status}): Content-Type ${r.contentType}`);
  }
});

test('requests are accepted as application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json and application/json', T, async () => {
  const subject = uniqueName('conf-reqtype');
  const schema = JSON.stringify(record(avroName('CType'), [{ name: 'a', type: 'int' }]));
  const ids: number[] = [];
  for (const contentType of [V1_JSON, 'application/vnd.schemaregistry+json', 'application/json']) {
    const r = await call('POST', `/subjects/${enc(subject)}/versions`, { schema }, { contentType });
    ids.push(ok<{ id: number }>(r).id);
    const look = await call('POST', `/subjects/${enc(subject)}`, { schema }, { contentType });
    assert.equal(ok<{ id: number }>(look).id, ids[0], `lookup as ${contentType}`);
    const compat = await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest`, { schema }, { contentType });
    assert.equal(ok<{ is_compatible: boolean }>(compat).is_compatible, true, `compatibility as ${contentType}`);
    const config = await call('PUT', `/config/${enc(subject)}`, { compatibility: 'BACKWARD' }, { contentType });
    assert.equal(ok<{ compatibility: string }>(config).compatibility, 'BACKWARD', `PUT /config as ${contentType}`);
  }
  assert.deepEqual(ids, [ids[0], ids[0], ids[0]], 'one schema, one id, whatever the request content type');
  assert.deepEqual(await versionsOf(subject), [1]);
  // Confluent's clients send their Content-Type on every request, bodyless GET and DELETE
  // included (@confluentinc/schemaregistry sets it as a default header): it must not matter.
  const ct = { headers: { 'Content-Type': V1_JSON } };
  assert.deepEqual(ok<number[]>(await call('GET', `/subjects/${enc(subject)}/versions`, undefined, ct)), [1], 'GET with a Content-Type and no body');
  assert.deepEqual(ok<number[]>(await call('DELETE', `/subjects/${enc(subject)}`, undefined, ct)), [1], 'DELETE with a Content-Type and no body');
  assert.deepEqual(ok<number[]>(await call('DELETE', `/subjects/${enc(subject)}?permanent=true`, undefined, ct)), [1], 'permanent DELETE likewise');
});

// ---------------------------------------------------------------------------------------
// Register, look up, fetch

test('register: the same schema again gives the same id and version; under another subject the same id and its own version', T, async () => {
  const a = uniqueName('conf-reg-a');
  const b = uniqueName('conf-reg-b');
  const other = JSON.stringify(record(avroName('Other'), [{ name: 'x', type: 'int' }]));
  const schema = JSON.stringify(record(avroName('Reg'), [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]));

  // kafkajs (the services' client): first registration, then the same again.
  const kjs = kafkajs();
  const first = await kjs.register({ type: SchemaType.AVRO, schema }, { subject: a });
  const again = await kjs.register({ type: SchemaType.AVRO, schema }, { subject: a });
  assert.equal(again.id, first.id, 'the same schema under the same subject keeps its id');
  assert.deepEqual(await versionsOf(a), [1], 'registering the same schema again adds no version');

  // Confluent's client: the same schema under another subject that already has a version.
  const cc = confluent();
  await setLevel(b, 'NONE'); // b's two versions are unrelated records
  await cc.register(b, { schemaType: 'AVRO', schema: other });
  const full = await cc.registerFullResponse(b, { schemaType: 'AVRO', schema });
  assert.equal(full.id, first.id, 'the same schema under another subject gets the same id');
  assert.deepEqual(await versionsOf(b), [1, 2], 'and its own version in that subject');
  const meta = await confluent().getSchemaMetadata(b, 2);
  assert.equal(meta.id, first.id);
  assert.equal(meta.version, 2);
  assert.equal(meta.subject, b);
  // Registering the same schema again under b answers the same id without a third version.
  assert.equal(await registerRaw(b, schema), first.id);
  assert.deepEqual(await versionsOf(b), [1, 2]);
  const ofId = ok<{ subject: string; version: number }[]>(await call('GET', `/schemas/ids/${first.id}/versions`));
  assert.deepEqual(
    [...ofId].filter((sv) => sv.subject === a || sv.subject === b).sort((x, y) => x.subject.localeCompare(y.subject)),
    [{ subject: a, version: 1 }, { subject: b, version: 2 }].sort((x, y) => x.subject.localeCompare(y.subject)),
  );
});

test('register: two spellings of one schema (whitespace, attribute order, {"type":"string"} vs "string") get one id', T, async () => {
  const s1 = uniqueName('conf-spell-1');
  const s2 = uniqueName('conf-spell-2');
  const name = avroName('Spell');
  const compact = `{"type":"record","name":"${name}","namespace":"${NS}","fields":[{"name":"a","type":"int"},{"name":"b","type":{"type":"string"}}]}`;
  const loose = `{\n  "fields" : [ { "type" : "int", "name" : "a" },\n    { "name" : "b", "type" : "string" } ],\n  "namespace" : "${NS}",\n  "name" : "${name}",\n  "type" : "record"\n}`;
  const id1 = await registerRaw(s1, compact);
  const id2 = await registerRaw(s2, loose);
  assert.equal(id2, id1, 'the two spellings are one schema, so one id');
  // The other spelling under the first subject: same id, same version, no new version.
  assert.equal(await registerRaw(s1, loose), id1);
  assert.deepEqual(await versionsOf(s1), [1]);
  const found = ok<{ id: number; version: number; subject: string }>(await call('POST', `/subjects/${enc(s1)}`, { schema: loose }));
  assert.equal(found.id, id1);
  assert.equal(found.version, 1);
  // Primitive spelled as an object or as a bare name.
  const p1 = uniqueName('conf-spell-p1');
  const p2 = uniqueName('conf-spell-p2');
  assert.equal(await registerRaw(p2, '"string"'), await registerRaw(p1, '{"type":"string"}'), '{"type":"string"} and "string" are one schema');
});

test('look up a schema under a subject (POST /subjects/{s}): subject, id, version, schema; 40401 and 40403', T, async () => {
  const subject = uniqueName('conf-lookup');
  const v1 = JSON.stringify(record(avroName('Look'), [{ name: 'a', type: 'int' }]));
  const v2 = JSON.stringify(record(avroName('Look'), [{ name: 'a', type: 'int' }]));
  await setLevel(subject, 'NONE');
  const id1 = await registerRaw(subject, v1);
  const id2 = await registerRaw(subject, v2);
  assert.notEqual(id2, id1, 'a different schema gets a different id');

  const r = ok<{ subject: string; id: number; version: number; schema: string }>(await call('POST', `/subjects/${enc(subject)}`, { schema: v1 }));
  assert.equal(r.subject, subject);
  assert.equal(r.id, id1);
  assert.equal(r.version, 1);
  assert.equal(fingerprint(r.schema), fingerprint(v1), 'the schema returned is the one registered');

  assert.equal(await kafkajs().getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: v2 }), id2, 'kafkajs getRegistryIdBySchema');
  const full = await confluent().getIdFullResponse(subject, { schemaType: 'AVRO', schema: v2 });
  assert.equal(full.id, id2);
  assert.equal(full.version, 2);
  assert.equal(await confluent().getVersion(subject, { schemaType: 'AVRO', schema: v1 }), 1, 'Confluent getVersion');

  const unknown = JSON.stringify(record(avroName('Never'), [{ name: 'a', type: 'int' }]));
  fails(await call('POST', `/subjects/${enc(subject)}`, { schema: unknown }), 404, 40403);
  fails(await call('POST', `/subjects/${enc(uniqueName('conf-lookup-none'))}`, { schema: v1 }), 404, 40401);
  await confluentRejects(confluent().getId(subject, { schemaType: 'AVRO', schema: unknown }), 404, 40403, 'Confluent getId of an unregistered schema');
  // kafkajs turns exactly a 404 of this lookup into its ConfluentSchemaRegistryError (other statuses stay ResponseError).
  await assert.rejects(kafkajs().getRegistryIdBySchema(uniqueName('conf-lookup-none'), { type: SchemaType.AVRO, schema: v1 }), (e: unknown) => {
    assert.equal((e as Error).name, 'ConfluentSchemaRegistryError', `kafkajs lookup of an unknown subject: expected its 404 error, got ${String(e)}`);
    return true;
  });
});

test('fetch by id: GET /schemas/ids/{id}, /schema, /subjects, /versions; unknown id is 40403', T, async () => {
  const a = uniqueName('conf-byid-a');
  const b = uniqueName('conf-byid-b');
  const name = avroName('ById');
  const schema = JSON.stringify(record(name, [{ name: 'a', type: 'int' }, { name: 'b', type: ['null', 'string'], default: null }]));
  const id = await registerRaw(a, schema);
  assert.equal(await registerRaw(b, schema), id);

  const got = ok<{ schema: string; schemaType?: string }>(await call('GET', `/schemas/ids/${id}`));
  assert.equal(typeof got.schema, 'string');
  assert.equal(fingerprint(got.schema), fingerprint(schema));
  if (got.schemaType !== undefined) assert.equal(got.schemaType, 'AVRO', 'schemaType, when given, is AVRO');

  const raw = await call('GET', `/schemas/ids/${id}/schema`);
  const rawSchema = ok<{ name?: string; type?: string }>(raw);
  assert.equal(rawSchema.type, 'record', '/schema answers the schema itself, not a wrapper');
  assert.equal(fingerprint(raw.text), fingerprint(schema));

  const subjects = ok<string[]>(await call('GET', `/schemas/ids/${id}/subjects`));
  assert.ok(subjects.includes(a) && subjects.includes(b), `both subjects: ${JSON.stringify(subjects)}`);
  const versions = ok<{ subject: string; version: number }[]>(await call('GET', `/schemas/ids/${id}/versions`));
  assert.deepEqual(versions.filter((v) => v.subject === a || v.subject === b).length, 2, JSON.stringify(versions));
  assert.ok(versions.some((v) => v.subject === a && v.version === 1));

  // Both clients decode what they fetch.
  const type = (await kafkajs().getSchema(id)) as avro.Type;
  assert.equal(type.name, `${NS}.${name}`, 'kafkajs getSchema parses the fetched schema');
  const buf = await kafkajs().encode(id, { a: 7, b: 'x' });
  assert.equal(buf.readUInt8(0), 0, 'magic byte');
  assert.equal(buf.readInt32BE(1), id, 'schema id in the wire format');
  assert.deepEqual({ ...(await kafkajs().decode(buf)) }, { a: 7, b: 'x' });
  const info = await confluent().getBySubjectAndId(a, id);
  assert.equal(fingerprint(info.schema), fingerprint(schema), 'Confluent getBySubjectAndId');

  fails(await call('GET', '/schemas/ids/2147483000'), 404, 40403);
  fails(await call('GET', '/schemas/ids/2147483000/schema'), 404, 40403);
  fails(await call('GET', '/schemas/ids/2147483000/subjects'), 404, 40403);
  fails(await call('GET', '/schemas/ids/2147483000/versions'), 404, 40403);
  await confluentRejects(confluent().getBySubjectAndId(a, 2147483000), 404, 40403, 'Confluent getBySubjectAndId of an unknown id');
  await kafkajsRejects(kafkajs().getSchema(2147483000), 404, 'kafkajs getSchema of an unknown id');
});

test('latest and by version: GET /subjects/{s}/versions/{v|latest}[/schema]; 40401, 40402, 42202', T, async () => {
  const subject = uniqueName('conf-ver');
  await setLevel(subject, 'NONE');
  const s1 = JSON.stringify(record(avroName('Ver'), [{ name: 'a', type: 'int' }]));
  const s2 = JSON.stringify(record(avroName('Ver'), [{ name: 'a', type: 'int' }]));
  const id1 = await registerRaw(subject, s1);
  const id2 = await registerRaw(subject, s2);

  const v1 = ok<{ subject: string; id: number; version: number; schema: string }>(await call('GET', `/subjects/${enc(subject)}/versions/1`));
  assert.deepEqual([v1.subject, v1.id, v1.version], [subject, id1, 1]);
  assert.equal(fingerprint(v1.schema), fingerprint(s1));
  const latest = ok<{ subject: string; id: number; version: number }>(await call('GET', `/subjects/${enc(subject)}/versions/latest`));
  assert.deepEqual([latest.subject, latest.id, latest.version], [subject, id2, 2]);
  const raw = await call('GET', `/subjects/${enc(subject)}/versions/2/schema`);
  ok<unknown>(raw);
  assert.equal(fingerprint(raw.text), fingerprint(s2), '/versions/{v}/schema answers the schema itself');
  assert.equal(fingerprint((await call('GET', `/subjects/${enc(subject)}/versions/latest/schema`)).text), fingerprint(s2));

  const kjs = kafkajs();
  assert.equal(await kjs.getLatestSchemaId(subject), id2, 'kafkajs getLatestSchemaId');
  assert.equal(await kjs.getRegistryId(subject, 1), id1, 'kafkajs getRegistryId(1)');
  assert.equal(await kjs.getRegistryId(subject, 'latest'), id2, "kafkajs getRegistryId('latest')");
  const cc = confluent();
  const m = await cc.getLatestSchemaMetadata(subject);
  assert.deepEqual([m.id, m.version, m.subject], [id2, 2, subject], 'Confluent getLatestSchemaMetadata');
  const m1 = await cc.getSchemaMetadata(subject, 1);
  assert.deepEqual([m1.id, m1.version], [id1, 1], 'Confluent getSchemaMetadata');

  fails(await call('GET', `/subjects/${enc(subject)}/versions/3`), 404, 40402);
  fails(await call('GET', `/subjects/${enc(subject)}/versions/3/schema`), 404, 40402);
  fails(await call('GET', `/subjects/${enc(uniqueName('conf-ver-none'))}/versions/1`), 404, 40401);
  fails(await call('GET', `/subjects/${enc(uniqueName('conf-ver-none'))}/versions/latest`), 404, 40401);
  for (const bad of ['0', 'abc', '1.5']) {
    fails(await call('GET', `/subjects/${enc(subject)}/versions/${bad}`), 422, 42202);
  }
  fails(await call('DELETE', `/subjects/${enc(subject)}/versions/abc`), 422, 42202);
  fails(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/0`, { schema: s1 }), 422, 42202);
  fails(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/abc`, { schema: s1 }), 422, 42202);
  await confluentRejects(cc.getSchemaMetadata(subject, 3), 404, 40402, 'Confluent getSchemaMetadata of a missing version');
  await kafkajsRejects(kjs.getRegistryId(subject, 3), 404, 'kafkajs getRegistryId of a missing version');
  await kafkajsRejects(kjs.getLatestSchemaId(uniqueName('conf-ver-none')), 404, 'kafkajs getLatestSchemaId of an unknown subject');
});

test('list subjects and versions: GET /subjects, GET /subjects/{s}/versions; 40401', T, async () => {
  const a = uniqueName('conf-list-a');
  const b = uniqueName('conf-list-b');
  await setLevel(a, 'NONE');
  await registerRaw(a, JSON.stringify(record(avroName('L'), [{ name: 'a', type: 'int' }])));
  await registerRaw(a, JSON.stringify(record(avroName('L'), [{ name: 'a', type: 'int' }])));
  await registerRaw(a, JSON.stringify(record(avroName('L'), [{ name: 'a', type: 'int' }])));
  await registerRaw(b, '"long"');
  const subjects = ok<string[]>(await call('GET', '/subjects'));
  assert.ok(subjects.includes(a) && subjects.includes(b), 'GET /subjects lists both');
  assert.ok(subjects.every((s) => typeof s === 'string'));
  const all = await confluent().getAllSubjects();
  assert.ok(all.includes(a) && all.includes(b), 'Confluent getAllSubjects');
  assert.deepEqual(await versionsOf(a), [1, 2, 3]);
  assert.deepEqual(await confluent().getAllVersions(a), [1, 2, 3], 'Confluent getAllVersions');
  assert.deepEqual(await versionsOf(b), [1]);
  fails(await call('GET', `/subjects/${enc(uniqueName('conf-list-none'))}/versions`), 404, 40401);
  await confluentRejects(confluent().getAllVersions(uniqueName('conf-list-none')), 404, 40401, 'Confluent getAllVersions of an unknown subject');
});

// ---------------------------------------------------------------------------------------
// Deletes

test('delete a version: soft, ?deleted=true listings, 40406 on a second soft delete, then ?permanent=true; 40407 without soft delete first', T, async () => {
  const subject = uniqueName('conf-delv');
  await setLevel(subject, 'NONE');
  const s1 = JSON.stringify(record(avroName('D'), [{ name: 'a', type: 'int' }]));
  const s2 = JSON.stringify(record(avroName('D'), [{ name: 'a', type: 'int' }]));
  await registerRaw(subject, s1);
  const id2 = await registerRaw(subject, s2);

  fails(await call('DELETE', `/subjects/${enc(subject)}/versions/2?permanent=true`), 404, 40407);
  assert.equal(ok<number>(await call('DELETE', `/subjects/${enc(subject)}/versions/2`)), 2, 'a soft delete answers the version');
  assert.deepEqual(await versionsOf(subject), [1], 'the soft-deleted version is not listed');
  assert.deepEqual(await versionsOf(subject, '?deleted=true'), [1, 2], '?deleted=true lists it');
  fails(await call('GET', `/subjects/${enc(subject)}/versions/2`), 404, 40402);
  const hidden = ok<{ id: number; version: number }>(await call('GET', `/subjects/${enc(subject)}/versions/2?deleted=true`));
  assert.deepEqual([hidden.id, hidden.version], [id2, 2], 'GET ?deleted=true still returns a soft-deleted version');
  assert.equal(ok<{ version: number }>(await call('GET', `/subjects/${enc(subject)}/versions/latest`)).version, 1, 'latest skips it');
  fails(await call('DELETE', `/subjects/${enc(subject)}/versions/2`), 404, 40406);
  assert.equal(ok<number>(await call('DELETE', `/subjects/${enc(subject)}/versions/2?permanent=true`)), 2, 'a permanent delete answers the version');
  assert.deepEqual(await versionsOf(subject, '?deleted=true'), [1], 'gone for good');
  fails(await call('GET', `/subjects/${enc(subject)}/versions/2?deleted=true`), 404, 40402);
  fails(await call('DELETE', `/subjects/${enc(subject)}/versions/7`), 404, 40402);
  fails(await call('DELETE', `/subjects/${enc(uniqueName('conf-delv-none'))}/versions/1`), 404, 40401);

  // Through Confluent's client: soft, then permanent; and the errors it surfaces.
  const cc = confluent();
  await confluentRejects(cc.deleteSubjectVersion(subject, 1, true), 404, 40407, 'Confluent permanent delete without soft delete');
  assert.equal(await cc.deleteSubjectVersion(subject, 1, false), 1);
  await confluentRejects(cc.deleteSubjectVersion(subject, 1, false), 404, 40406, 'Confluent soft delete twice');
  assert.equal(await cc.deleteSubjectVersion(subject, 1, true), 1);
});

test('delete a subject: soft, ?deleted=true listings, 40404 on a second soft delete, then ?permanent=true; 40405 without soft delete first', T, async () => {
  const subject = uniqueName('conf-dels');
  await setLevel(subject, 'NONE');
  await registerRaw(subject, JSON.stringify(record(avroName('S'), [{ name: 'a', type: 'int' }])));
  await registerRaw(subject, JSON.stringify(record(avroName('S'), [{ name: 'a', type: 'int' }])));

  fails(await call('DELETE', `/subjects/${enc(subject)}?permanent=true`), 404, 40405);
  assert.deepEqual(ok<number[]>(await call('DELETE', `/subjects/${enc(subject)}`)), [1, 2], 'a soft delete answers the versions deleted');
  assert.ok(!ok<string[]>(await call('GET', '/subjects')).includes(subject), 'GET /subjects no longer lists it');
  assert.ok(ok<string[]>(await call('GET', '/subjects?deleted=true')).includes(subject), 'GET /subjects?deleted=true does');
  fails(await call('GET', `/subjects/${enc(subject)}/versions`), 404, 40401);
  assert.deepEqual(await versionsOf(subject, '?deleted=true'), [1, 2]);
  fails(await call('GET', `/subjects/${enc(subject)}/versions/latest`), 404, 40401);
  fails(await call('DELETE', `/subjects/${enc(subject)}`), 404, 40404);
  assert.deepEqual(ok<number[]>(await call('DELETE', `/subjects/${enc(subject)}?permanent=true`)), [1, 2], 'a permanent delete answers the versions');
  assert.ok(!ok<string[]>(await call('GET', '/subjects?deleted=true')).includes(subject), 'gone from ?deleted=true too');
  fails(await call('GET', `/subjects/${enc(subject)}/versions?deleted=true`), 404, 40401);
  fails(await call('DELETE', `/subjects/${enc(subject)}`), 404, 40401);
  fails(await call('DELETE', `/subjects/${enc(uniqueName('conf-dels-none'))}`), 404, 40401);

  // The same through Confluent's client.
  const other = uniqueName('conf-dels-cc');
  await registerRaw(other, '"int"');
  const cc = confluent();
  await confluentRejects(cc.deleteSubject(other, true), 404, 40405, 'Confluent permanent delete of a live subject');
  assert.deepEqual(await cc.deleteSubject(other, false), [1]);
  await confluentRejects(cc.deleteSubject(other, false), 404, 40404, 'Confluent soft delete twice');
  assert.deepEqual(await cc.deleteSubject(other, true), [1]);
  assert.ok(!(await cc.getAllSubjects()).includes(other));
});

// ---------------------------------------------------------------------------------------
// Config and mode

test('per-subject config: PUT/GET/DELETE /config/{s}, 40408 without one, ?defaultToGlobal=true, 42203', T, async () => {
  const subject = uniqueName('conf-config');
  const global = ok<{ compatibilityLevel: string }>(await call('GET', '/config')).compatibilityLevel;
  assert.ok((LEVELS as readonly string[]).includes(global), `GET /config: ${global}`);

  fails(await call('GET', `/config/${enc(subject)}`), 404, 40408);
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}?defaultToGlobal=true`)).compatibilityLevel, global);

  const level = global === 'FULL' ? 'FORWARD' : 'FULL';
  await setLevel(subject, level);
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}`)).compatibilityLevel, level);
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}?defaultToGlobal=true`)).compatibilityLevel, level);
  assert.equal(await confluent().getCompatibility(subject), level, 'Confluent getCompatibility');
  assert.equal(await confluent().updateCompatibility(subject, Compatibility.NONE), Compatibility.NONE, 'Confluent updateCompatibility');
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}`)).compatibilityLevel, 'NONE');

  const del = await call('DELETE', `/config/${enc(subject)}`);
  assert.equal(del.status, 200, `DELETE /config/{s}: ${del.text}`);
  fails(await call('GET', `/config/${enc(subject)}`), 404, 40408);
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}?defaultToGlobal=true`)).compatibilityLevel, global, 'back to the global level');
  await confluentRejects(confluent().getCompatibility(subject), 404, 40408, 'Confluent getCompatibility without subject config');

  fails(await call('PUT', `/config/${enc(subject)}`, { compatibility: 'SIDEWAYS' }), 422, 42203);
  fails(await call('PUT', '/config', { compatibility: 'SIDEWAYS' }), 422, 42203);
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', '/config')).compatibilityLevel, global, 'a refused level changes nothing');
});

test('global config: GET/PUT /config, a subject without its own level follows it', T, async () => {
  const before = ok<{ compatibilityLevel: string }>(await call('GET', '/config')).compatibilityLevel;
  const level = before === 'FULL_TRANSITIVE' ? 'FORWARD_TRANSITIVE' : 'FULL_TRANSITIVE';
  const cc = confluent();
  try {
    assert.equal(ok<{ compatibility: string }>(await call('PUT', '/config', { compatibility: level })).compatibility, level, 'PUT /config echoes the request');
    assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', '/config')).compatibilityLevel, level);
    assert.equal(await cc.getDefaultCompatibility(), level, 'Confluent getDefaultCompatibility');
    const subject = uniqueName('conf-global');
    assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}?defaultToGlobal=true`)).compatibilityLevel, level);
    // The global level is enforced: FULL_TRANSITIVE or FORWARD_TRANSITIVE both refuse removing a field without default.
    await registerRaw(subject, JSON.stringify(record('G', BASE)));
    fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: JSON.stringify(record('G', without('port'))) }), 409, INCOMPATIBLE);
    assert.equal(await cc.updateDefaultCompatibility(Compatibility.NONE), Compatibility.NONE, 'Confluent updateDefaultCompatibility');
    assert.ok(await registerRaw(subject, JSON.stringify(record('G', without('port')))) > 0, 'accepted under NONE');
  } finally {
    await call('PUT', '/config', { compatibility: before });
  }
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', '/config')).compatibilityLevel, before, 'restored');
});

test('subject mode READONLY refuses writes with 42205, READWRITE allows them again; 40409, 42204', T, async () => {
  const subject = uniqueName('conf-mode');
  const mode = ok<{ mode: string }>(await call('GET', '/mode')).mode;
  assert.equal(mode, 'READWRITE', 'GET /mode: the registry is READWRITE');
  await setLevel(subject, 'NONE');
  const id = await registerRaw(subject, '"string"');
  fails(await call('GET', `/mode/${enc(subject)}`), 404, 40409);
  assert.equal(ok<{ mode: string }>(await call('GET', `/mode/${enc(subject)}?defaultToGlobal=true`)).mode, 'READWRITE');

  assert.equal(ok<{ mode: string }>(await call('PUT', `/mode/${enc(subject)}`, { mode: 'READONLY' })).mode, 'READONLY', 'PUT /mode/{s} echoes the request');
  assert.equal(ok<{ mode: string }>(await call('GET', `/mode/${enc(subject)}`)).mode, 'READONLY');
  fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: '"int"' }), 422, 42205);
  await confluentRejects(confluent().register(subject, { schemaType: 'AVRO', schema: '"long"' }), 422, 42205, 'Confluent register in READONLY');
  fails(await call('DELETE', `/subjects/${enc(subject)}/versions/1`), 422, 42205);
  fails(await call('DELETE', `/subjects/${enc(subject)}`), 422, 42205);
  // Reads still work.
  assert.equal(ok<{ id: number }>(await call('GET', `/subjects/${enc(subject)}/versions/1`)).id, id);
  assert.equal(ok<{ id: number }>(await call('POST', `/subjects/${enc(subject)}`, { schema: '"string"' })).id, id);

  fails(await call('PUT', `/mode/${enc(subject)}`, { mode: 'SOMETIMES' }), 422, 42204);
  fails(await call('PUT', '/mode', { mode: 'SOMETIMES' }), 422, 42204);

  assert.equal(ok<{ mode: string }>(await call('PUT', `/mode/${enc(subject)}`, { mode: 'READWRITE' })).mode, 'READWRITE');
  assert.ok((await registerRaw(subject, '"int"')) > 0, 'READWRITE accepts the write again');
  assert.deepEqual(await versionsOf(subject), [1, 2]);
});

test('global mode READONLY refuses writes with 42205 (register, config, delete); back to READWRITE', T, async () => {
  const subject = uniqueName('conf-gmode');
  await setLevel(subject, 'NONE');
  await registerRaw(subject, '"string"');
  try {
    assert.equal(ok<{ mode: string }>(await call('PUT', '/mode', { mode: 'READONLY' })).mode, 'READONLY');
    assert.equal(ok<{ mode: string }>(await call('GET', '/mode')).mode, 'READONLY');
    fails(await call('POST', `/subjects/${enc(uniqueName('conf-gmode-new'))}/versions`, { schema: '"string"' }), 422, 42205);
    fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: '"bytes"' }), 422, 42205);
    fails(await call('DELETE', `/subjects/${enc(subject)}`), 422, 42205);
    const named = JSON.stringify(record(avroName('ReadOnly'), [{ name: 'a', type: 'int' }])); // kafkajs registers named types only
    await kafkajsRejects(kafkajs().register({ type: SchemaType.AVRO, schema: named }, { subject: uniqueName('conf-gmode-kjs') }), 422, 'kafkajs register in READONLY');
    assert.deepEqual(await versionsOf(subject), [1], 'reads still work');
  } finally {
    await call('PUT', '/mode', { mode: 'READWRITE' });
  }
  assert.equal(ok<{ mode: string }>(await call('GET', '/mode')).mode, 'READWRITE');
  assert.ok((await registerRaw(subject, '"bytes"')) > 0, 'writes accepted again');
});

// ---------------------------------------------------------------------------------------
// Compatibility

for (const level of LEVELS) {
  test(`compatibility ${level}: accept/reject of real Avro evolutions (POST /compatibility, verbose, register)`, T, async () => {
    const kjs = kafkajs();
    for (const e of EVOLUTIONS) {
      const subject = uniqueName(`conf-compat-${level.toLowerCase()}`);
      const name = avroName('Conn');
      const v1 = JSON.stringify(record(name, BASE));
      const v2 = JSON.stringify(record(name, e.fields));
      const want = expected(level, e);
      const what = `${level}, ${e.name}`;
      await setLevel(subject, level);
      const { id: id1 } = await kjs.register({ type: SchemaType.AVRO, schema: v1 }, { subject, compatibility: COMPATIBILITY[level] });

      const plain = ok<{ is_compatible: boolean }>(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest`, { schema: v2 }));
      assert.equal(plain.is_compatible, want, `${what}: POST /compatibility/.../versions/latest`);
      const byNumber = ok<{ is_compatible: boolean }>(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/1`, { schema: v2 }));
      assert.equal(byNumber.is_compatible, want, `${what}: POST /compatibility/.../versions/1`);
      const verbose = ok<{ is_compatible: boolean; messages?: unknown }>(
        await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`, { schema: v2 }),
      );
      assert.equal(verbose.is_compatible, want, `${what}: verbose`);
      if (!want) {
        assert.ok(Array.isArray(verbose.messages) && verbose.messages.length > 0, `${what}: verbose=true explains: ${JSON.stringify(verbose)}`);
        assert.ok((verbose.messages as unknown[]).every((m) => typeof m === 'string'), `${what}: messages are strings`);
      } else if (verbose.messages !== undefined) {
        assert.deepEqual(verbose.messages, [], `${what}: no messages when compatible`);
      }
      assert.equal(await confluent().testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: v2 }), want, `${what}: Confluent testSubjectCompatibility`);

      if (want) {
        const { id: id2 } = await kjs.register({ type: SchemaType.AVRO, schema: v2 }, { subject, compatibility: COMPATIBILITY[level] });
        assert.notEqual(id2, id1, `${what}: a new schema, a new id`);
        assert.deepEqual(await versionsOf(subject), [1, 2], `${what}: registered as version 2`);
      } else {
        await kafkajsRejects(kjs.register({ type: SchemaType.AVRO, schema: v2 }, { subject, compatibility: COMPATIBILITY[level] }), 409, `${what}: kafkajs register`);
        fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: v2 }), 409, INCOMPATIBLE);
        await confluentRejects(confluent().register(subject, { schemaType: 'AVRO', schema: v2 }), 409, INCOMPATIBLE, `${what}: Confluent register`);
        assert.deepEqual(await versionsOf(subject), [1], `${what}: nothing registered`);
      }
    }
  });
}

/**
 * v1 -> v2 -> v3 where v3 is compatible with v2 but not with v1 in the level's direction.
 * Chain A (backward): v2 adds b with a default, v3 drops the default: v3 reads v2 data (b is
 * there) but not v1 data (no b, no default). Chain B (forward): v2 gives b a default, v3
 * removes b: v2 reads v3 data (default) but v1 cannot (no default).
 */
const CHAIN_A = [
  [{ name: 'a', type: 'int' }],
  [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: 'x' }],
  [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }],
] as Field[][];
const CHAIN_B = [
  [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }],
  [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: 'x' }],
  [{ name: 'a', type: 'int' }],
] as Field[][];
const TRANSITIVE_CASES: [Level, Field[][], string][] = [
  ['BACKWARD', CHAIN_A, 'A'],
  ['BACKWARD_TRANSITIVE', CHAIN_A, 'A'],
  ['FORWARD', CHAIN_B, 'B'],
  ['FORWARD_TRANSITIVE', CHAIN_B, 'B'],
  ['FULL', CHAIN_A, 'A'],
  ['FULL_TRANSITIVE', CHAIN_A, 'A'],
  ['FULL', CHAIN_B, 'B'],
  ['FULL_TRANSITIVE', CHAIN_B, 'B'],
];

for (const [level, chain, label] of TRANSITIVE_CASES) {
  const transitive = level.endsWith('_TRANSITIVE');
  test(`compatibility ${level}, chain ${label}: v3 is fine against v2, not v1 -> ${transitive ? 'rejected' : 'accepted'}`, T, async () => {
    const subject = uniqueName(`conf-chain-${level.toLowerCase()}`);
    const name = avroName('Chain');
    const [v1, v2, v3] = chain.map((fields) => JSON.stringify(record(name, fields)));
    await setLevel(subject, level);
    await registerRaw(subject, v1!);
    await registerRaw(subject, v2!);
    const path = `/compatibility/subjects/${enc(subject)}/versions`;
    // Against one named version, the check is against that version only.
    assert.equal(ok<{ is_compatible: boolean }>(await call('POST', `${path}/latest`, { schema: v3 })).is_compatible, true, 'v3 against v2 (latest)');
    assert.equal(ok<{ is_compatible: boolean }>(await call('POST', `${path}/2`, { schema: v3 })).is_compatible, true, 'v3 against v2');
    assert.equal(ok<{ is_compatible: boolean }>(await call('POST', `${path}/1`, { schema: v3 })).is_compatible, false, 'v3 against v1');
    // Against the subject (POST /compatibility/subjects/{s}/versions): the same check as register.
    const all = ok<{ is_compatible: boolean; messages?: unknown[] }>(await call('POST', `${path}?verbose=true`, { schema: v3 }));
    assert.equal(all.is_compatible, !transitive, `POST ${path} (all versions per the level)`);
    if (transitive) {
      assert.ok(Array.isArray(all.messages) && all.messages.length > 0, `verbose messages: ${JSON.stringify(all)}`);
      fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: v3 }), 409, INCOMPATIBLE);
      assert.deepEqual(await versionsOf(subject), [1, 2]);
    } else {
      assert.ok((await registerRaw(subject, v3!)) > 0);
      assert.deepEqual(await versionsOf(subject), [1, 2, 3]);
    }
  });
}

test('compatibility endpoint: a subject without versions is compatible with "latest"; 40401/40402 for a missing version; 42201', T, async () => {
  const schema = JSON.stringify(record(avroName('Empty'), [{ name: 'a', type: 'int' }]));
  const fresh = uniqueName('conf-compat-empty');
  const subject = uniqueName('conf-compat-err');
  await setLevel(subject, 'BACKWARD');
  await registerRaw(subject, schema);
  fails(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/5`, { schema }), 404, 40402);
  fails(await call('POST', `/compatibility/subjects/${enc(fresh)}/versions/1`, { schema }), 404, [40401, 40402]);
  fails(await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest`, { schema: '{"type":"record","name":"Broken"}' }), 422, 42201);
  const verbose = await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`, { schema: JSON.stringify(record(avroName('Other'), [{ name: 'z', type: 'string' }])) });
  const v = ok<{ is_compatible: boolean; messages: unknown[] }>(verbose);
  assert.equal(v.is_compatible, false, 'a different record name is not a compatible evolution under BACKWARD');
  assert.ok(Array.isArray(v.messages) && v.messages.length > 0, JSON.stringify(v));
  // "latest" of a subject with no version: nothing to be incompatible with (Confluent 6.0 and later).
  const empty = await call('POST', `/compatibility/subjects/${enc(fresh)}/versions/latest`, { schema });
  assert.equal(ok<{ is_compatible: boolean }>(empty).is_compatible, true, 'a subject without versions is compatible with "latest"');
});

// ---------------------------------------------------------------------------------------
// Invalid input

test('42201: invalid Avro, and JSON Schema / PROTOBUF schemaType refused (Avro-only registry)', T, async () => {
  const subject = uniqueName('conf-invalid');
  const bad: string[] = [
    'not json at all',
    '{"type":"record","name":"NoFields"}',
    '{"type":"nosuchtype"}',
    '{"type":"record","name":"R","fields":[{"name":"a","type":"Undefined"}]}',
    '{"type":"enum","name":"E","symbols":["A","A"]}',
    '{"type":"record","name":"1bad","fields":[]}',
  ];
  for (const schema of bad) {
    fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema }), 422, 42201);
  }
  fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schemaType: 'JSON', schema: JSON.stringify({ type: 'object' }) }), 422, 42201);
  fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\nmessage M { string a = 1; }\n' }), 422, 42201);
  await confluentRejects(confluent().register(subject, { schemaType: 'AVRO', schema: '{"type":"record","name":"NoFields"}' }), 422, 42201, 'Confluent register of invalid Avro');
  await confluentRejects(
    confluent().register(subject, { schemaType: 'JSON', schema: JSON.stringify({ type: 'object' }) }),
    422,
    42201,
    'Confluent register of a JSON Schema',
  );
  fails(await call('GET', `/subjects/${enc(subject)}/versions`), 404, 40401);
});

// ---------------------------------------------------------------------------------------
// References

test('schema references: accepted and resolvable (referencedby, 42206 on deleting the referenced version) or refused with 42201', T, async () => {
  const addrSubject = uniqueName('conf-ref-addr');
  const connSubject = uniqueName('conf-ref-conn');
  const addrName = avroName('Addr');
  const addr = JSON.stringify(record(addrName, [{ name: 'ip', type: 'string' }, { name: 'port', type: 'int' }]));
  const addrId = await registerRaw(addrSubject, addr);
  const refs = [{ name: `${NS}.${addrName}`, subject: addrSubject, version: 1 }];
  const conn = JSON.stringify(record(avroName('Conn'), [{ name: 'src', type: `${NS}.${addrName}` }, { name: 'dst', type: `${NS}.${addrName}` }]));

  assert.deepEqual(ok<number[]>(await call('GET', `/subjects/${enc(addrSubject)}/versions/1/referencedby`)), [], 'nothing refers to it yet');
  // Without the references, the named type is unknown: invalid schema.
  fails(await call('POST', `/subjects/${enc(connSubject)}/versions`, { schema: conn }), 422, 42201);

  const r = await call('POST', `/subjects/${enc(connSubject)}/versions`, { schema: conn, references: refs });
  if (r.status !== 200) {
    fails(r, 422, 42201);
    return;
  }
  const connId = ok<{ id: number }>(r).id;
  assert.notEqual(connId, addrId);
  const byId = ok<{ schema: string; references?: unknown }>(await call('GET', `/schemas/ids/${connId}`));
  assert.deepEqual(byId.references, refs, 'GET /schemas/ids/{id} gives the references back');
  const byVersion = ok<{ references?: unknown; id: number }>(await call('GET', `/subjects/${enc(connSubject)}/versions/1`));
  assert.deepEqual(byVersion.references, refs, 'GET /subjects/{s}/versions/{v} gives the references back');
  assert.equal(ok<{ id: number }>(await call('POST', `/subjects/${enc(connSubject)}`, { schema: conn, references: refs })).id, connId, 'lookup with references');
  assert.equal(await registerRaw(connSubject, conn, { references: refs }), connId, 'registering it again: same id');
  assert.deepEqual(ok<number[]>(await call('GET', `/subjects/${enc(addrSubject)}/versions/1/referencedby`)), [connId], 'referencedby lists the referrer');
  fails(await call('DELETE', `/subjects/${enc(addrSubject)}/versions/1`), 422, 42206);
  fails(await call('DELETE', `/subjects/${enc(addrSubject)}`), 422, 42206);
  // The services' client resolves the reference and codes a record with the referenced type.
  const type = (await kafkajs().getSchema(connId)) as avro.Type;
  const value = { src: { ip: '10.0.0.1', port: 1234 }, dst: { ip: '10.0.0.2', port: 80 } };
  const buf = await kafkajs().encode(connId, value);
  assert.equal(buf.readInt32BE(1), connId);
  assert.deepEqual(JSON.parse(JSON.stringify(await kafkajs().decode(buf))), value);
  assert.match(type.name ?? '', /\.Conn_[0-9a-f]+$/, 'kafkajs parsed the referring schema');
  // Once the referrer is gone for good, the referenced version can be deleted.
  ok<number[]>(await call('DELETE', `/subjects/${enc(connSubject)}`));
  ok<number[]>(await call('DELETE', `/subjects/${enc(connSubject)}?permanent=true`));
  assert.equal(ok<number>(await call('DELETE', `/subjects/${enc(addrSubject)}/versions/1`)), 1);
});

// ---------------------------------------------------------------------------------------
// Path prefix

test('path prefix: the registry answers the same contract under a base path (NIDS_TEST_REGISTRY_PREFIXED_URL)', T, async () => {
  const base = requirePrefixedRegistry();
  const root = await call('GET', '/', undefined, { base });
  ok<unknown>(root);
  assert.match(root.contentType, /^application\/vnd\.schemaregistry\.v1\+json/);
  assert.ok(ok<string[]>(await call('GET', '/schemas/types', undefined, { base })).includes('AVRO'));

  const subject = uniqueName('conf-prefix');
  const schema = JSON.stringify(record(avroName('Prefixed'), [{ name: 'a', type: 'int' }]));
  const { id } = await kafkajs(base).register({ type: SchemaType.AVRO, schema }, { subject });
  assert.equal(await kafkajs(base).getLatestSchemaId(subject), id, 'kafkajs through the prefix');
  const cc = confluent(base);
  assert.equal(await cc.getId(subject, { schemaType: 'AVRO', schema }), id, 'Confluent client through the prefix');
  assert.deepEqual(await cc.getAllVersions(subject), [1]);
  assert.equal(fingerprint(ok<{ schema: string }>(await call('GET', `/schemas/ids/${id}`, undefined, { base })).schema), fingerprint(schema));
  assert.equal(ok<{ compatibilityLevel: string }>(await call('GET', `/config/${enc(subject)}`, undefined, { base })).compatibilityLevel, 'BACKWARD');
  fails(await call('GET', `/subjects/${enc(uniqueName('conf-prefix-none'))}/versions`, undefined, { base }), 404, 40401);
  fails(await call('POST', `/subjects/${enc(subject)}/versions`, { schema: '{"type":"record","name":"NoFields"}' }, { base }), 422, 42201);
  assert.deepEqual(ok<number[]>(await call('DELETE', `/subjects/${enc(subject)}`, undefined, { base })), [1]);
});

// ---------------------------------------------------------------------------------------
// Confluent's Python client

test("Confluent's Python SchemaRegistryClient, AvroSerializer and AvroDeserializer (registry_conformance.py)", { timeout: 300_000 }, () => {
  const url = requireRegistry();
  const python = join(REPO, '.venv/bin/python');
  assert.ok(existsSync(python), `${python} missing: create the venv with confluent-kafka[avro,schemaregistry]`);
  const r = spawnSync(python, [join(REPO, 'test/integration/registry_conformance.py'), url], { encoding: 'utf8', timeout: 240_000 });
  const output = `exit ${r.status} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  assert.equal(r.error, undefined, `${String(r.error)}\n${output}`);
  assert.equal(r.status, 0, output);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { check: string; ok: boolean });
  assert.ok(lines.length >= 20, `the script ran its checks:\n${output}`);
  assert.ok(lines.every((l) => l.ok), output);
});
