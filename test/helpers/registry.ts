// A `nids registry` process of a test's own: its own topic and election group on the stack's
// Kafka, so tests never share registry state with each other or with the stack's registry.
import { createServer, type AddressInfo } from 'node:net';
import { startNids, waitFor, type Running } from './proc.ts';
import { stackEndpoints, uniqueName } from './stack.ts';

export interface RegistryInstance {
  url: string;
  metricsPort: number;
  proc: Running;
}

/** A port free right now on 127.0.0.1 (for a metrics server a test must reach). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Starts a registry on a free port and resolves once it listens (its stdout says where). */
export async function startRegistry(opts: { topic?: string; group?: string; args?: string[] } = {}): Promise<RegistryInstance> {
  const metricsPort = await freePort();
  const proc = startNids(['registry', '--brokers', stackEndpoints().brokers, '--port', '0', '--metrics-port', String(metricsPort),
    '--topic', opts.topic ?? uniqueName('_schemas-test'), '--group-id', opts.group ?? uniqueName('registry'), ...(opts.args ?? [])]);
  const url = await waitFor('the registry to listen', () => {
    if (proc.child.exitCode !== null) throw new Error(`registry exited ${proc.child.exitCode}: ${proc.output().stderr}`);
    return /listening on (http:\/\/\S+)/.exec(proc.output().stdout)?.[1];
  }, 60_000, 100);
  return { url, metricsPort, proc };
}
