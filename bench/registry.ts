// Registry group: `nids registry` as its own process on a fresh topic of the running stack's
// Kafka (npm run stack:up), loaded by one autocannon client over keep-alive connections.
// GET /schemas/ids/{id} is what every consumer asks for every writer id; register is what
// every producer does at start-up. The peer is a bare node:http server answering the same
// body: the ceiling of any Node HTTP service on this machine, measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import avro from 'avsc';
import { checkCompatibility, parseAvroSchema } from '../lib/registry/avro/index.ts';
import { emit, REPO } from './util.ts';

const DURATION_S = 5;
const REGISTRATIONS = 300;
const CT = 'application/vnd.schemaregistry.v1+json';

function brokers(): string {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const env = `${process.env.NIDS_STACK_DIR ?? `${REPO}.stack`}/env`;
  const line = existsSync(env) ? readFileSync(env, 'utf8').split('\n').find((l) => l.startsWith('KAFKA_BROKERS=')) : undefined;
  if (!line) throw new Error('the registry bench needs Kafka: run `npm run stack:up` first (or set KAFKA_BROKERS)');
  return line.slice('KAFKA_BROKERS='.length);
}

async function startRegistry(): Promise<{ url: string; child: ChildProcess }> {
  const stamp = Date.now().toString(36);
  const child = spawn(process.execPath, [`${REPO}bin/nids`, 'registry', '--brokers', brokers(), '--port', '0',
    '--topic', `_schemas-bench-${stamp}`, '--group-id', `nids-registry-bench-${stamp}`, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`nids registry exited ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
  });
  return { url, child };
}

const schemaN = (n: number) =>
  JSON.stringify({ type: 'record', name: 'Bench', namespace: 'bench', fields: [{ name: `f${n}`, type: 'long', default: 0 }, { name: 'pad', type: 'string', default: 'x'.repeat(200) }] });

async function register(url: string, subject: string, schema: string): Promise<number> {
  const res = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers: { 'content-type': CT }, body: JSON.stringify({ schema }) });
  if (res.status !== 200) throw new Error(`register: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

function load(url: string, connections: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, pipelining: 1, duration: DURATION_S }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function measureGet(impl: string, url: string): Promise<void> {
  for (const connections of [1, 8]) {
    await load(url, connections); // warm-up
    const r = await load(url, connections);
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${impl}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    const suffix = connections === 1 ? '' : `_${connections}conn`;
    emit(`registry.get_by_id${suffix}`, impl, r.requests.mean, 'req/s');
    emit(`registry.get_by_id${suffix}_p99_ms`, impl, r.latency.p99, 'ms');
  }
}

/** Microseconds per call of `fn`: the best of several batches, after a warm-up. */
function microsPerCall(fn: () => unknown, calls = 200): number {
  for (let i = 0; i < calls; i++) fn();
  let best = Infinity;
  for (let batch = 0; batch < 7; batch++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, ((performance.now() - t0) * 1000) / calls);
  }
  return best;
}

// The registry's own Avro work per request, in process: parsing a schema (peer: avsc's
// Type.forSchema, which every nids service runs on the same text) and a FULL_TRANSITIVE
// check of a 60-field record against its predecessor.
const wide = (n: number) => ({
  type: 'record',
  name: 'Wide',
  namespace: 'bench',
  fields: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, type: i % 3 ? 'long' : ['null', 'string'], default: i % 3 ? 0 : null, doc: `field ${i}` })),
});
const wideText = JSON.stringify(wide(60));
emit('registry.schema_parse_us', 'nids-registry', microsPerCall(() => parseAvroSchema(wideText)), 'us');
emit('registry.schema_parse_us', 'avsc-forSchema', microsPerCall(() => avro.Type.forSchema(JSON.parse(wideText) as avro.Schema)), 'us');
const newer = parseAvroSchema(wideText);
const older = parseAvroSchema(JSON.stringify(wide(59)));
emit('registry.compatibility_us', 'nids-registry', microsPerCall(() => checkCompatibility('FULL_TRANSITIVE', newer, [{ version: 1, schema: older }])), 'us');

const registry = await startRegistry();
try {
  // Registration latency: one client, one registration at a time, each a new schema (a
  // Kafka transaction, then applied), after a few to warm up.
  for (let i = 0; i < 10; i++) await register(registry.url, 'bench-warmup', schemaN(1_000_000 + i));
  const ms: number[] = [];
  let id = 0;
  for (let i = 0; i < REGISTRATIONS; i++) {
    const t0 = performance.now();
    id = await register(registry.url, 'bench-value', schemaN(i));
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  emit('registry.register_p50_ms', 'nids-registry', ms[Math.floor(ms.length * 0.5)]!, 'ms');
  emit('registry.register_p99_ms', 'nids-registry', ms[Math.floor(ms.length * 0.99)]!, 'ms');

  const getUrl = `${registry.url}/schemas/ids/${id}`;
  await measureGet('nids-registry', getUrl);

  // The peer: the same body from a bare node:http server, in its own process like the registry.
  const body = await (await fetch(getUrl)).text();
  const floorSource = `const b = process.argv[1];
    const s = require('node:http').createServer((q, r) => { r.writeHead(200, { 'content-type': '${CT}' }); r.end(b); });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const floor = spawn(process.execPath, ['-e', floorSource, body], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((r) => floor.stdout!.once('data', (d: Buffer) => r(d.toString().trim())));
    await measureGet('node-http-fixed-body', `http://127.0.0.1:${port}/schemas/ids/${id}`);
  } finally {
    floor.kill();
  }
} finally {
  registry.child.kill('SIGTERM');
}
