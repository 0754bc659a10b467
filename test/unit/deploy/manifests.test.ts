// The deployment files stay in step with the code: compose validates with docker-compose
// itself (in scripts/test.sh); here every k8s manifest parses, names only commands the CLI
// has, and the sensor keeps to the two capabilities libpcap needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../../helpers/stack.ts';

type Doc = { kind: string; apiVersion: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };
type Container = { name: string; image: string; args?: string[]; command?: string[]; securityContext?: { capabilities?: { add?: string[]; drop?: string[] } } };

const docs: Doc[] = readdirSync(`${REPO}k8s`)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(`${REPO}k8s/${f}`, 'utf8')).map((d) => {
      assert.equal(d.errors.length, 0, `${f}: ${d.errors.join('; ')}`);
      return d.toJS() as Doc;
    }),
  );

function podSpec(d: Doc): { containers: Container[]; hostNetwork?: boolean } | undefined {
  const s = d.spec as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking untyped YAML
  return s?.template?.spec ?? s?.jobTemplate?.spec?.template?.spec;
}

test('every manifest is well-formed and namespaced', () => {
  assert.ok(docs.length >= 6);
  for (const d of docs) {
    assert.ok(d.apiVersion && d.kind && d.metadata?.name, JSON.stringify(d).slice(0, 120));
    if (d.kind !== 'Namespace') assert.equal(d.metadata.namespace, 'nids', `${d.kind}/${d.metadata.name}`);
  }
});

test('workloads run nids commands that exist', () => {
  const cliSource = readFileSync(`${REPO}cli/main.ts`, 'utf8');
  for (const d of docs) {
    for (const c of podSpec(d)?.containers ?? []) {
      const cmd = c.args?.[0]?.startsWith('exec ./bin/nids') ? c.args[0].split(' ')[2]! : c.args?.[0];
      assert.ok(cmd && new RegExp(`^  ${cmd}: `, 'm').test(cliSource), `${d.metadata.name}: unknown command ${cmd}`);
    }
  }
});

test('the sensor DaemonSet captures on the host with only NET_RAW and NET_ADMIN', () => {
  const ds = docs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'nids-sensor');
  assert.ok(ds);
  const spec = podSpec(ds)!;
  assert.equal(spec.hostNetwork, true);
  const caps = spec.containers[0]!.securityContext!.capabilities!;
  assert.deepEqual(caps.drop, ['ALL']);
  assert.deepEqual([...caps.add!].sort(), ['NET_ADMIN', 'NET_RAW']);
});

test('the sensor DaemonSet passes only flags and environment variables the sensor has', async () => {
  const { sensorService } = await import('../../../services/sensor/main.ts');
  const { opsSettings } = await import('../../../lib/config/common.ts');
  const settings = Object.values({ ...sensorService.spec, ...opsSettings });
  const ds = docs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'nids-sensor')!;
  const c = podSpec(ds)!.containers[0]! as Container & { env?: { name: string }[] };
  const flags = (c.args ?? []).filter((a) => a.startsWith('--')).map((a) => a.slice(2));
  assert.ok(flags.includes('iface'), 'the DaemonSet captures live');
  for (const f of flags) assert.ok(settings.some((s) => s.flag === f), `--${f} is not a sensor setting`);
  for (const e of c.env ?? []) {
    if (e.name.startsWith('NIDS_SENSOR_')) assert.ok(settings.some((s) => s.env === e.name), `${e.name} is not a sensor setting`);
  }
});
