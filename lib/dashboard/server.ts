// The live dashboard's HTTP server (node:http: four routes and an event stream need no
// framework): the page, vega/vega-lite/vega-embed from node_modules (no CDN), the state
// as JSON and the new anomalies, incidents and counts as server-sent events. Loopback by
// default; any other address needs a token, asked of every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/index.ts';
import type { DashboardSettings } from '../config/stages.ts';
import type { DashboardFeed, FeedEvent } from './feed.ts';

const PAGE_DIR = new URL('./page/', import.meta.url);
const HEARTBEAT_MS = 15_000;

/** Browser builds of the Vega libraries, from the installed packages. */
function vendorFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  // The packages' exports hide build/; their main entry lives in it.
  const build = (pkg: string) => dirname(require.resolve(pkg));
  return new Map([
    ['/vendor/vega.min.js', join(build('vega'), 'vega.min.js')],
    ['/vendor/vega-lite.min.js', join(build('vega-lite'), 'vega-lite.min.js')],
    ['/vendor/vega-embed.min.js', join(build('vega-embed'), 'vega-embed.min.js')],
  ]);
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(feed: DashboardFeed, s: DashboardSettings): Promise<Dashboard> {
  if (!isLoopback(s.dashboardHost) && !s.dashboardToken) {
    throw new ConfigError(`--dashboard-host ${s.dashboardHost}: beyond loopback the dashboard needs --dashboard-token`);
  }
  const token = s.dashboardToken ? Buffer.from(s.dashboardToken) : null;
  const vendor = vendorFiles();
  const streams = new Set<ServerResponse>();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (!token) return true;
    const given = Buffer.from(url.searchParams.get('token') ?? req.headers.authorization?.replace(/^Bearer /, '') ?? '');
    return given.length === token.length && timingSafeEqual(given, token);
  };
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only\n');
    if (!authorized(req, url)) return send(res, 401, 'text/plain', 'token required: ?token=<--dashboard-token>\n');
    const file = vendor.get(url.pathname);
    if (file) return send(res, 200, 'text/javascript', readFileSync(file));
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', readFileSync(new URL('index.html', PAGE_DIR)));
      case '/app.js':
        return send(res, 200, 'text/javascript', readFileSync(new URL('app.js', PAGE_DIR)));
      case '/api/state':
        return send(res, 200, 'application/json', JSON.stringify(feed.snapshot()));
      case '/api/specs':
        return send(res, 200, 'application/json', JSON.stringify(feed.specs()));
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(': connected\n\n');
        const unsubscribe = feed.subscribe((e: FeedEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'counts' ? e.counts : e.rows)}\n\n`));
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        streams.add(res);
        res.on('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
          streams.delete(res);
        });
        return;
      }
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--dashboard-host ${s.dashboardHost} --dashboard-port ${s.dashboardPort}: cannot listen (${err.message})`)));
    server.listen(s.dashboardPort, s.dashboardHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = s.dashboardHost.includes(':') ? `[${s.dashboardHost}]` : s.dashboardHost;
  return {
    url: `http://${host}:${port}/${s.dashboardToken ? `?token=${encodeURIComponent(s.dashboardToken)}` : ''}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
