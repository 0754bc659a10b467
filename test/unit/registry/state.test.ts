// The registry's state machine without Kafka: plans applied back as a writer does, records
// round-tripped through their topic encoding, and the rules that make the log safe to
// replay (idempotent apply, ids never reused, even after a permanent delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryState, parseVersion, type WritePlan } from '../../../lib/registry/state.ts';
import { decodeRecord, encodeKey, encodeRecord, MalformedRecordError, type SchemaRecord } from '../../../lib/registry/records.ts';
import { RegistryError } from '../../../lib/registry/errors.ts';

const schema = (fields: object[]) => JSON.stringify({ type: 'record', name: 'R', namespace: 'unit', fields });
const V1 = schema([{ name: 'a', type: 'int' }]);
const V2 = schema([{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]);
const V2_NO_DEFAULT = schema([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]);

/** Plans, round-trips every record through the topic encoding, applies: what a writer does. */
function commit<R>(state: RegistryState, plan: WritePlan<R>, log: SchemaRecord[] = []): R {
  for (const r of plan.records) {
    const { key, value } = encodeRecord(r);
    const back = decodeRecord(Buffer.from(key), value === null ? null : Buffer.from(value))!;
    state.apply(back);
    log.push(back);
  }
  return plan.result;
}

const code = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err.code;
  }
  assert.fail('expected a RegistryError');
};

test('register: same schema same id; new versions; compatibility enforced; lookup', () => {
  const s = new RegistryState();
  const r1 = commit(s, s.planRegister('t-value', { schema: V1 }));
  assert.deepEqual(r1, { id: 1, version: 1, existed: false });
  assert.equal(s.planRegister('t-value', { schema: JSON.stringify(JSON.parse(V1), null, 2) }).records.length, 0, 'a respelling is the same schema');
  assert.equal(code(() => s.planRegister('t-value', { schema: V2_NO_DEFAULT })), 409);
  assert.deepEqual(commit(s, s.planRegister('t-value', { schema: V2 })), { id: 2, version: 2, existed: false });
  assert.deepEqual(commit(s, s.planRegister('other', { schema: V1 })), { id: 1, version: 1, existed: false }, 'same schema, other subject: same id');
  assert.equal(s.lookup('t-value', { schema: V2 }, false).version, 2);
  assert.equal(code(() => s.lookup('t-value', { schema: schema([{ name: 'z', type: 'long' }]) }, false)), 40403);
  assert.equal(code(() => s.lookup('nope', { schema: V1 }, false)), 40401);
  assert.deepEqual(s.listVersions('t-value', false), [1, 2]);
  assert.equal(s.getVersion('t-value', 'latest').id, 2);
});

test('delete: soft then permanent, with the error codes of each wrong order; ids are never reused', () => {
  const s = new RegistryState();
  commit(s, s.planRegister('d', { schema: V1 }));
  commit(s, s.planRegister('d', { schema: V2 }));
  assert.equal(code(() => s.planDeleteVersion('d', 2, true)), 40407);
  assert.equal(commit(s, s.planDeleteVersion('d', 2, false)), 2);
  assert.equal(code(() => s.planDeleteVersion('d', 2, false)), 40406);
  assert.equal(code(() => s.getVersion('d', 2)), 40402);
  assert.equal(s.getVersion('d', 2, true).deleted, true);
  assert.equal(commit(s, s.planDeleteVersion('d', 2, true)), 2);
  assert.equal(code(() => s.schemaById(2)), 40403, 'a schema no version uses is gone');
  assert.equal(code(() => s.planDeleteSubject('d', true)), 40405);
  assert.deepEqual(commit(s, s.planDeleteSubject('d', false)), [1]);
  assert.equal(code(() => s.planDeleteSubject('d', false)), 40404);
  assert.deepEqual(s.listSubjects(false), []);
  assert.deepEqual(s.listSubjects(true), ['d']);
  assert.deepEqual(commit(s, s.planDeleteSubject('d', true)), [1]);
  assert.deepEqual(s.listSubjects(true), []);
  // Everything is gone, but the ids handed out are not handed out again.
  assert.deepEqual(commit(s, s.planRegister('d', { schema: V1 })), { id: 3, version: 1, existed: false });
});

test('replaying the log gives the same state; applying a record twice changes nothing', () => {
  const s = new RegistryState();
  const log: SchemaRecord[] = [];
  commit(s, s.planRegister('a', { schema: V1 }), log);
  commit(s, s.planRegister('a', { schema: V2 }), log);
  commit(s, s.planSetConfig('a', 'FULL'), log);
  commit(s, s.planDeleteVersion('a', 1, false), log);
  commit(s, s.planDeleteVersion('a', 1, true), log);
  commit(s, s.planSetMode(null, 'READONLY'), log);
  const replayed = new RegistryState();
  for (const r of [...log, ...log]) replayed.apply(r);
  for (const st of [s, replayed]) {
    assert.deepEqual(st.listVersions('a', true), [2]);
    assert.equal(st.subjectConfig('a'), 'FULL');
    assert.equal(st.globalMode(), 'READONLY');
    assert.equal(st.maxId, 2);
    assert.equal(code(() => st.schemaById(1)), 40403);
  }
  assert.equal(code(() => replayed.planRegister('a', { schema: V1 })), 42205, 'read-only mode refuses writes');
});

test('config, mode and version parameters are validated with the contract\'s codes', () => {
  const s = new RegistryState('BACKWARD');
  assert.equal(code(() => s.planDeleteConfig('none')), 40401);
  commit(s, s.planRegister('c', { schema: V1 }));
  assert.equal(code(() => s.planDeleteConfig('c')), 40408);
  assert.equal(code(() => s.planDeleteMode('c')), 40409);
  assert.equal(s.effectiveConfig('c'), 'BACKWARD');
  commit(s, s.planSetConfig(null, 'NONE'));
  assert.equal(s.effectiveConfig('c'), 'NONE');
  assert.equal(code(() => parseVersion('0')), 42202);
  assert.equal(code(() => parseVersion('abc')), 42202);
  assert.equal(code(() => parseVersion('2147483648')), 42202);
  assert.equal(parseVersion('-1'), 'latest');
  assert.equal(code(() => s.planRegister('c', { schema: '{"type":"nope"}' })), 42201);
  assert.equal(code(() => s.planRegister('c', { schema: '{}', schemaType: 'PROTOBUF' })), 42201);
  assert.equal(code(() => s.planRegister('bad\u0001subject', { schema: V1 })), 42208);
});

test('references: resolvable, listed by referencedby, and protect what they point to', () => {
  const s = new RegistryState();
  commit(s, s.planRegister('addr', { schema: JSON.stringify({ type: 'record', name: 'Address', namespace: 'unit', fields: [{ name: 'city', type: 'string' }] }) }));
  const person = JSON.stringify({ type: 'record', name: 'Person', namespace: 'unit', fields: [{ name: 'home', type: 'unit.Address' }] });
  assert.equal(code(() => s.planRegister('person', { schema: person })), 42201, 'an undefined named type without a reference');
  const { id } = commit(s, s.planRegister('person', { schema: person, references: [{ name: 'unit.Address', subject: 'addr', version: 1 }] }));
  assert.deepEqual(s.referencedBy('addr', 1), [id]);
  assert.equal(code(() => s.planDeleteVersion('addr', 1, false)), 42206);
  assert.equal(code(() => s.planRegister('x', { schema: person, references: [{ name: 'unit.Address', subject: 'addr', version: 9 }] })), 42201);
});

test('topic records: keys in one byte order, malformed ones refused, foreign key types ignored', () => {
  assert.equal(encodeKey({ keytype: 'SCHEMA', subject: 's', version: 3 }), '{"keytype":"SCHEMA","subject":"s","version":3,"magic":1}');
  assert.equal(encodeKey({ keytype: 'CONFIG', subject: null }), '{"keytype":"CONFIG","subject":null,"magic":0}');
  assert.equal(decodeRecord(Buffer.from('{"keytype":"NOOP","magic":0}'), null), null);
  assert.throws(() => decodeRecord(Buffer.from('not json'), null), MalformedRecordError);
  assert.throws(() => decodeRecord(Buffer.from('{"keytype":"SCHEMA","subject":"s","version":1}'), Buffer.from('{"schema":1}')), MalformedRecordError);
  assert.throws(() => decodeRecord(null, null), MalformedRecordError);
});
