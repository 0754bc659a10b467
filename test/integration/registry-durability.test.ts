// The registry keeps nothing but the `_schemas` topic: restarted, killed with SIGKILL in the
// middle of a burst of registrations, or run twice on one topic, it must answer with the
// same subjects, versions and ids, lose nothing it acknowledged and never hand an id out
// twice. Each test runs its own registry processes on their own topic against the real Kafka.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Running } from '../helpers/proc.ts';
import { startRegistry as startRegistryProcess, type RegistryInstance as Instance } from '../helpers/registry.ts';
import { uniqueName } from '../helpers/stack.ts';

const CT = 'application/vnd.schemaregistry.v1+json';
const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((r) => r.stop(3000)));
});

async function startRegistry(topic: string, group: string, extra: string[] = []): Promise<Instance> {
  const instance = await startRegistryProcess({ topic, group, args: extra });
  running.push(instance.proc);
  return instance;
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method, headers: { 'content-type': CT }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const schemaN = (n: number) =>
  JSON.stringify({ type: 'record', name: 'R', namespace: 'durability', fields: [{ name: `f${n}`, type: 'long', default: n }] });

async function isWriter(i: Instance): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${i.metricsPort}/metrics`)).text();
  return /^nids_registry_is_writer\{[^}]*\} 1$/m.test(text);
}

/** Waits until one of the instances accepts writes itself, and returns it. */
async function writerOf(instances: Instance[]): Promise<Instance> {
  return waitFor('an elected writer', async () => {
    for (const i of instances) if (i.proc.child.exitCode === null && (await isWriter(i).catch(() => false))) return i;
    return undefined;
  }, 60_000, 200);
}

test('restart: the same subjects, versions, ids and config after a stop and a start', { timeout: 120_000 }, async () => {
  const topic = uniqueName('_schemas-restart');
  const group = uniqueName('registry');
  const a = await startRegistry(topic, group);
  const ids: Record<string, number> = {};
  for (let n = 1; n <= 5; n++) {
    const r = await call(`${a.url}/subjects/s${n % 2}/versions`, 'POST', { schema: schemaN(n) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    ids[`s${n % 2}/${n}`] = (r.json as { id: number }).id;
  }
  assert.equal((await call(`${a.url}/config/s1`, 'PUT', { compatibility: 'FULL' })).status, 200);
  assert.equal((await call(`${a.url}/subjects/s0/versions/1`, 'DELETE')).status, 200);
  const snapshot = async (url: string) => ({
    subjects: (await call(`${url}/subjects?deleted=true`, 'GET')).json,
    s0: (await call(`${url}/subjects/s0/versions?deleted=true`, 'GET')).json,
    s0live: (await call(`${url}/subjects/s0/versions`, 'GET')).json,
    s1: (await call(`${url}/subjects/s1/versions`, 'GET')).json,
    latest: (await call(`${url}/subjects/s1/versions/latest`, 'GET')).json,
    config: (await call(`${url}/config/s1`, 'GET')).json,
    byId: await Promise.all(Object.values(ids).map(async (id) => (await call(`${url}/schemas/ids/${id}`, 'GET')).json)),
  });
  const before = await snapshot(a.url);
  assert.deepEqual(before.s0live, [2]);
  assert.deepEqual(before.config, { compatibilityLevel: 'FULL' });
  const stopped = await a.proc.stop();
  assert.equal(stopped.code, 0, stopped.stderr);

  const b = await startRegistry(topic, group);
  assert.deepEqual(await snapshot(b.url), before);
  // A new schema gets a new id, never one seen before.
  await writerOf([b]);
  const r = await call(`${b.url}/subjects/s9/versions`, 'POST', { schema: schemaN(99) });
  assert.equal(r.status, 200);
  assert.equal((r.json as { id: number }).id, Math.max(...Object.values(ids)) + 1);
});

test('kill -9 during a burst of registrations: nothing acknowledged is lost, no id is reused', { timeout: 180_000 }, async () => {
  const topic = uniqueName('_schemas-kill');
  const group = uniqueName('registry');
  const a = await startRegistry(topic, group);
  await writerOf([a]);
  const acked = new Map<number, { subject: string; id: number }>(); // n -> answer
  let n = 0;
  let killed = false;
  const worker = async (w: number) => {
    while (!killed && n < 400) {
      const k = ++n;
      const subject = `burst-${w}`;
      try {
        const r = await call(`${a.url}/subjects/${subject}/versions`, 'POST', { schema: schemaN(k) });
        if (r.status === 200) acked.set(k, { subject, id: (r.json as { id: number }).id });
      } catch {
        // the connection died with the process: not acknowledged
      }
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  await waitFor('40 acknowledged registrations', () => (acked.size >= 40 ? true : undefined), 60_000, 5);
  a.proc.child.kill('SIGKILL');
  killed = true;
  await Promise.all(workers);
  await a.proc.exited;
  assert.ok(acked.size >= 40);

  const b = await startRegistry(topic, group);
  // Every acknowledged registration is there with the id it was given.
  for (const [k, { subject, id }] of acked) {
    const r = await call(`${b.url}/subjects/${subject}`, 'POST', { schema: schemaN(k) });
    assert.equal(r.status, 200, `schema ${k} acknowledged with id ${id} is missing after the restart: ${JSON.stringify(r.json)}`);
    assert.equal((r.json as { id: number }).id, id);
  }
  // Every id in the log names exactly one schema.
  const seen = new Map<number, string>();
  for (const subject of (await call(`${b.url}/subjects`, 'GET')).json as string[]) {
    for (const v of (await call(`${b.url}/subjects/${subject}/versions`, 'GET')).json as number[]) {
      const { id, schema } = (await call(`${b.url}/subjects/${subject}/versions/${v}`, 'GET')).json as { id: number; schema: string };
      if (seen.has(id)) assert.equal(seen.get(id), schema, `id ${id} names two schemas`);
      seen.set(id, schema);
    }
  }
  // New registrations after the crash get ids above everything handed out before it.
  await writerOf([b]);
  const maxBefore = Math.max(...seen.keys());
  const fresh = await call(`${b.url}/subjects/after-crash/versions`, 'POST', { schema: schemaN(100_000) });
  assert.equal(fresh.status, 200, JSON.stringify(fresh.json));
  assert.ok((fresh.json as { id: number }).id > maxBefore, `id ${(fresh.json as { id: number }).id} reused (max before ${maxBefore})`);
});

test('two instances on one topic: one writer, writes through the other are forwarded, same ids from both, takeover after SIGKILL', { timeout: 180_000 }, async () => {
  const topic = uniqueName('_schemas-pair');
  const group = uniqueName('registry');
  const a = await startRegistry(topic, group, ['--session-timeout-ms', '6000']);
  const b = await startRegistry(topic, group, ['--session-timeout-ms', '6000']);
  const writer = await writerOf([a, b]);
  const follower = writer === a ? b : a;
  assert.equal(await isWriter(follower), false, 'exactly one instance is the writer');

  // Writes through either instance succeed (the follower forwards) and agree on ids.
  const ids: number[] = [];
  for (let k = 1; k <= 6; k++) {
    const via = k % 2 === 0 ? writer : follower;
    const r = await call(`${via.url}/subjects/pair/versions`, 'POST', { schema: schemaN(k) });
    assert.equal(r.status, 200, `write ${k} via the ${via === writer ? 'writer' : 'follower'}: ${JSON.stringify(r.json)}`);
    ids.push((r.json as { id: number }).id);
  }
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
  assert.equal((await call(`${follower.url}/config`, 'PUT', { compatibility: 'NONE' })).status, 200);
  for (const i of [a, b]) {
    await waitFor('the follower to apply the writes', async () =>
      ((await call(`${i.url}/subjects/pair/versions`, 'GET')).json as number[]).length === 6 ? true : undefined, 10_000, 50);
    for (const id of ids) assert.deepEqual((await call(`${i.url}/schemas/ids/${id}`, 'GET')).json, { schema: schemaN(id) });
    assert.deepEqual((await call(`${i.url}/config`, 'GET')).json, { compatibilityLevel: 'NONE' });
  }

  // The writer dies: the follower is elected after the session timeout and ids go on.
  writer.proc.child.kill('SIGKILL');
  await writer.proc.exited;
  assert.equal(await writerOf([follower]), follower);
  const r = await call(`${follower.url}/subjects/pair/versions`, 'POST', { schema: schemaN(7) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal((r.json as { id: number }).id, 7);
});

test('an instance that may not be elected serves reads and forwards writes; with no writer alive it answers 50003 or 50004', { timeout: 180_000 }, async () => {
  const topic = uniqueName('_schemas-reader');
  const group = uniqueName('registry');
  const w = await startRegistry(topic, group);
  const r = await startRegistry(topic, group, ['--no-leader-eligible']);
  await writerOf([w]);
  const reg = await call(`${r.url}/subjects/ro/versions`, 'POST', { schema: schemaN(1) });
  assert.equal(reg.status, 200, JSON.stringify(reg.json));
  assert.equal(await isWriter(r), false);
  await waitFor('the read-only instance to see the write', async () =>
    (await call(`${r.url}/subjects/ro/versions/1`, 'GET')).status === 200 ? true : undefined, 10_000, 50);

  await w.proc.stop();
  const refused = await call(`${r.url}/subjects/ro/versions`, 'POST', { schema: schemaN(2) });
  assert.equal(refused.status, 500);
  assert.ok([50003, 50004].includes((refused.json as { error_code: number }).error_code), JSON.stringify(refused.json));
  // Reads go on.
  assert.equal((await call(`${r.url}/subjects/ro/versions/1`, 'GET')).status, 200);
});
