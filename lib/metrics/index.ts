// Prometheus metrics plus liveness/readiness on one small HTTP server per service.
// /healthz answers while the process runs; /readyz only once the service says it is ready
// (connected, model loaded, ...), which is what orchestrators and tests wait on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

export interface MetricsServer {
  registry: Registry;
  /** Bound port (useful when 0 was asked for). */
  port: number;
  setReady(ready: boolean, reason?: string): void;
  close(): Promise<void>;
}

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'nids_' });
  return registry;
}

export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  let ready = false;
  let notReadyReason = 'starting';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ready ? 'ready\n' : `not ready: ${notReadyReason}\n`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`--metrics-port: ${host}:${port} is already in use; pick another port or 0`) : err),
    );
    server.listen(port, host, resolve);
  });
  return {
    registry,
    port: (server.address() as AddressInfo).port,
    setReady(r, reason) {
      ready = r;
      notReadyReason = reason ?? (r ? '' : 'not ready');
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
