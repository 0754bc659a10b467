// One lab host's behaviour, run inside its namespace by scripts/lab/lab.ts:
//   serve <addr>                       HTTP on 80 (GET /bytes/<n>), a data sink on 443, NTP on UDP 123
//   client <server> <seconds> <seed> <keydir>   web, DNS, NTP, SSH key logins (some after a mistyped password), long sessions, downloads
//   monitor <seconds> <host,host,...>  polls every host on TCP 22/80/443 and NTP every few seconds
//   resolver <server> <seconds>        a busy resolver: ~8 queries/s over many names
//   backup <server> <seconds> <bytes>  pulls a large dump every so often
//   beacon <host> <period_s> <count>   fixed-period HTTP check-ins
//   exfil <host> <bytes> <seconds>     trickles data out over one long connection
// Every loop is bounded by its deadline or count.
import { createServer } from 'node:http';
import { createServer as createTcpServer, createConnection } from 'node:net';
import { createSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import { Random } from '../../lib/iforest/random.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const [role, ...args] = process.argv.slice(2);

function sh(cmd: string, argv: string[], timeoutMs = 30_000, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { stdio: 'ignore', env: { ...process.env, ...env } });
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (code) => (clearTimeout(timer), resolve(code ?? -1)));
    c.on('error', () => (clearTimeout(timer), resolve(-1)));
  });
}

async function httpGet(host: string, path: string, timeoutMs = 60_000): Promise<void> {
  try {
    const res = await fetch(`http://${host}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
  } catch {
    // a lost request is part of normal life on a network; the next one goes on
  }
}

/** A 48-byte NTP v4 client request; the answer is read and dropped. */
function ntpQuery(host: string): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const req = Buffer.alloc(48);
    req[0] = 0x23;
    const done = () => (clearTimeout(timer), s.close(), resolve());
    const timer = setTimeout(done, 2000);
    s.on('message', done);
    s.on('error', done);
    s.send(req, 123, host);
  });
}

/** A standard A query for `name`, one socket (so one flow) per query. */
function dnsQuery(host: string, name: string, id: number): Promise<void> {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const done = () => (clearTimeout(timer), s.close(), resolve());
    const timer = setTimeout(done, 2000);
    s.on('message', done);
    s.on('error', done);
    s.send(q, 53, host);
  });
}

function tcpProbe(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const c = createConnection({ host, port });
    const done = () => (clearTimeout(timer), c.destroy(), resolve());
    const timer = setTimeout(done, 2000);
    c.on('connect', () => c.end());
    c.on('close', done);
    c.on('error', done);
  });
}

const NAMES = ['www', 'mail', 'intranet', 'wiki', 'git', 'ci', 'files', 'printer', 'vpn', 'calendar', 'chat', 'docs', 'time', 'api', 'cdn', 'static', 'auth', 'db', 'backup', 'monitor'];
const DOMAINS = ['lab', 'example.com', 'example.org', 'corp.lab', 'svc.lab'];

function sshArgs(server: string, keydir: string, command: string, password?: boolean): string[] {
  return [
    '-i', `${keydir}/client_key`, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
    '-o', password ? 'PreferredAuthentications=password,publickey' : 'BatchMode=yes', '-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=10',
    `root@${server}`, command,
  ];
}

async function client(server: string, seconds: number, seed: number, keydir: string): Promise<void> {
  const rng = new Random(seed);
  const end = Date.now() + seconds * 1000;
  let nextNtp = 0;
  let id = seed & 0xffff;
  while (Date.now() < end) {
    const r = rng.next();
    if (r < 0.45) await httpGet(server, `/page/${Math.floor(rng.next() * 50)}`);
    else if (r < 0.75) await dnsQuery(server, `${NAMES[Math.floor(rng.next() * NAMES.length)]}.${DOMAINS[Math.floor(rng.next() * DOMAINS.length)]}`, id++ & 0xffff);
    else if (r < 0.85) await sh('ssh', sshArgs(server, keydir, 'uptime'));
    else if (r < 0.89) await sh('ssh', sshArgs(server, keydir, 'sleep 12; ls /', true), 40_000, { SSH_ASKPASS: `${keydir}/askpass`, SSH_ASKPASS_REQUIRE: 'force' }); // a mistyped password, then the key; a long session
    else if (r < 0.93) await sh('ssh', sshArgs(server, keydir, 'sleep 25'), 40_000);
    else await httpGet(server, `/bytes/${1 + Math.floor(rng.next() * 4_000_000)}`);
    if (Date.now() > nextNtp) {
      await ntpQuery(server);
      nextNtp = Date.now() + 20_000 + rng.next() * 20_000;
    }
    await sleep(200 + rng.next() * 2500);
  }
}

async function monitor(seconds: number, targets: string[]): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const round = Date.now();
    for (const t of targets) {
      await Promise.all([tcpProbe(t, 22), tcpProbe(t, 80), tcpProbe(t, 443), ntpQuery(t)]);
    }
    await sleep(Math.max(0, 5000 - (Date.now() - round)));
  }
}

async function resolver(server: string, seconds: number): Promise<void> {
  const rng = new Random(7);
  const end = Date.now() + seconds * 1000;
  let id = 1;
  while (Date.now() < end) {
    const host = `${NAMES[Math.floor(rng.next() * NAMES.length)]}${Math.floor(rng.next() * 40)}`;
    void dnsQuery(server, `${host}.${DOMAINS[Math.floor(rng.next() * DOMAINS.length)]}`, id++ & 0xffff);
    await sleep(60 + rng.next() * 120);
  }
  await sleep(2100);
}

async function backup(server: string, seconds: number, bytes: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await httpGet(server, `/bytes/${bytes}`, 300_000);
    await sleep(15_000);
  }
}

async function beacon(host: string, periodS: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t = Date.now();
    await httpGet(host, `/c2/checkin?id=7f3a&n=${i}`, periodS * 1000);
    await sleep(Math.max(0, periodS * 1000 - (Date.now() - t)));
  }
}

async function exfil(host: string, bytes: number, seconds: number): Promise<void> {
  const chunks = Math.max(1, Math.floor(seconds * 2));
  const chunk = Buffer.alloc(Math.ceil(bytes / chunks), 0x5a);
  const c = createConnection({ host, port: 443 });
  c.on('error', () => undefined);
  await new Promise((r) => c.once('connect', r));
  for (let i = 0; i < chunks; i++) {
    c.write(chunk);
    await sleep(500);
  }
  c.end();
  await new Promise((r) => c.once('close', r));
}

function serve(addr: string): void {
  const page = Buffer.alloc(6000, 0x3c);
  createServer((req, res) => {
    const m = /^\/bytes\/(\d+)/.exec(req.url ?? '');
    const size = m ? Math.min(Number(m[1]), 2_000_000_000) : 800 + (page.length * ((req.url?.length ?? 0) % 5)) / 4;
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    let left = size;
    const block = Buffer.alloc(65536, 0x41);
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!res.write(n === block.length ? block : block.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    req.resume();
    pump();
  }).listen(80, addr);
  createTcpServer((s) => (s.resume(), s.on('error', () => undefined), s.on('end', () => s.end()))).listen(443, addr);
  const ntp = createSocket('udp4');
  ntp.on('message', (msg, from) => {
    if (msg.length < 48) return;
    const reply = Buffer.alloc(48);
    reply[0] = 0x24;
    reply[1] = 2;
    ntp.send(reply, from.port, from.address);
  });
  ntp.bind(123, addr, () => process.stdout.write('ready\n'));
}

const n = (i: number) => Number(args[i]);
switch (role) {
  case 'serve': serve(args[0]!); break;
  case 'client': await client(args[0]!, n(1), n(2), args[3]!); break;
  case 'monitor': await monitor(n(0), args[1]!.split(',')); break;
  case 'resolver': await resolver(args[0]!, n(1)); break;
  case 'backup': await backup(args[0]!, n(1), n(2)); break;
  case 'beacon': await beacon(args[0]!, n(1), n(2)); break;
  case 'exfil': await exfil(args[0]!, n(1), n(2)); break;
  default:
    process.stderr.write(`agent: unknown role "${role}"\n`);
    process.exit(2);
}
