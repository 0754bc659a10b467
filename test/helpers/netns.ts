// A private wire for live-capture tests: a network namespace joined to the host by a veth
// pair, with /30 addresses from 10.203.0.0/16, a responder (TCP + UDP) inside the
// namespace and a bounded traffic generator on the host side. Every name carries the test
// process's pid, so parallel runs never meet; cleanup() removes both ends and the namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, before } from 'node:test';
import { captureAvailable } from '../../lib/capture/live.ts';
import { REPO } from './stack.ts';

/** Why live-capture tests cannot run here, or false when they can. */
export function liveCaptureSkipReason(): string | false {
  const reason = liveCaptureMissing();
  // CI runs as root with libpcap installed: there a missing piece is a failure, not a skip.
  if (reason && process.env.CI) throw new Error(`live capture tests cannot run in CI: ${reason}`);
  return reason;
}

function liveCaptureMissing(): string | false {
  if (process.getuid?.() !== 0) return 'live capture needs root (CAP_NET_RAW and ip netns): run the tests as root';
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ns.error || ns.status !== 0) return `\`ip netns\` is not available: ${ns.error?.message ?? ns.stderr.trim()}`;
  const cap = captureAvailable();
  if (!cap.ok) return cap.reason;
  return false;
}

function ip(args: string[], ns?: string): void {
  const full = ns ? ['netns', 'exec', ns, 'ip', ...args] : args;
  const r = spawnSync('ip', full, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${full.join(' ')}: ${r.stderr.trim() || r.error?.message}`);
}

function sysctl(key: string, value: string, ns?: string): void {
  const args = ['-q', '-w', `${key}=${value}`];
  spawnSync(ns ? 'ip' : 'sysctl', ns ? ['netns', 'exec', ns, 'sysctl', ...args] : args);
}

export interface VethLab {
  ns: string;
  /** The host end: capture here. */
  hostIf: string;
  peerIf: string;
  hostAddr: string;
  peerAddr: string;
  cleanup(): void;
}

/** Creates the namespace and the veth pair; `tag` (one letter) keeps two labs of one process apart. */
export function createVethLab(tag = 'a'): VethLab {
  const pid = process.pid;
  const ns = `nidsN${tag}${pid}`;
  const hostIf = `nidsA${tag}${pid}`.slice(0, 15);
  const peerIf = `nidsB${tag}${pid}`.slice(0, 15);
  // A /30 from 10.203.0.0/16 chosen by pid and tag: 16,384 of them.
  const n = (pid * 2 + (tag.charCodeAt(0) & 1)) % 16384;
  const base = `10.203.${n >> 6}.`;
  const last = (n & 63) * 4;
  const hostAddr = `${base}${last + 1}`;
  const peerAddr = `${base}${last + 2}`;
  const cleanup = () => {
    spawnSync('ip', ['link', 'del', hostIf]); // takes the peer with it
    spawnSync('ip', ['netns', 'del', ns]);
  };
  cleanup(); // leftovers of a killed run with the same pid
  try {
    ip(['netns', 'add', ns]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf]);
    ip(['link', 'set', peerIf, 'netns', ns]);
    // No IPv6 on the wire: router and neighbour solicitations would be traffic nobody made.
    sysctl(`net.ipv6.conf.${hostIf}.disable_ipv6`, '1');
    sysctl(`net.ipv6.conf.${peerIf}.disable_ipv6`, '1', ns);
    ip(['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['addr', 'add', `${peerAddr}/30`, 'dev', peerIf], ns);
    ip(['link', 'set', peerIf, 'up'], ns);
    ip(['link', 'set', 'lo', 'up'], ns);
  } catch (err) {
    cleanup();
    throw err;
  }
  return { ns, hostIf, peerIf, hostAddr, peerAddr, cleanup };
}

export const TCP_PORT = 7801;
export const UDP_PORT = 7802;

/** Reply sizes, so the test knows every byte each way. */
export const tcpReplyBytes = (received: number): number => Math.floor(received / 2) + 7;
export const udpReplyBytes = (received: number): number => received * 2;

/**
 * The set-up every live-capture test file shares: a veth lab (`tag` as in createVethLab)
 * with its responder, made before the file's tests unless `skip`, and removed after them.
 * Call it after registering any `after` hook that must run while the wire still exists;
 * the tests read the lab through the returned function.
 */
export function useVethLab(tag: string, skip: string | false): () => VethLab {
  let lab: VethLab | null = null;
  let responder: ChildProcess | null = null;
  before(async () => {
    if (skip) return;
    lab = createVethLab(tag);
    responder = await startResponder(lab);
  });
  after(() => {
    responder?.kill('SIGTERM');
    lab?.cleanup();
  });
  return () => {
    if (!lab) throw new Error('the veth lab is not up (skipped, or its set-up failed)');
    return lab;
  };
}

/** Starts the responder inside the namespace; resolves once it listens. */
export async function startResponder(lab: VethLab): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', lab.ns, process.execPath, '--import', 'tsx', `${REPO}test/helpers/netns-responder.ts`, lab.peerAddr, String(TCP_PORT), String(UDP_PORT)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`responder did not start within 15 s: ${err}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`responder exited (${code}): ${err}`));
    });
  });
  return child;
}

export interface Exchange {
  protocol: 6 | 17;
  srcPort: number;
  sent: number;
  received: number;
}

/**
 * From the host side: `tcp` connections one after the other, the i-th sending 1000 * (i + 1)
 * + i bytes and half-closing, reading the reply to the end; then `udp` request/response
 * pairs, each from its own socket (so its own flow), the j-th sending 50 + j bytes. Each
 * exchange must finish within `timeoutMs`.
 */
export async function generateTraffic(peerAddr: string, tcp: number, udp: number, timeoutMs = 5000): Promise<Exchange[]> {
  const out: Exchange[] = [];
  const within = <T>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs).unref())]);
  for (let i = 0; i < tcp; i++) {
    const sent = 1000 * (i + 1) + i;
    out.push(
      await within(
        new Promise<Exchange>((resolve, reject) => {
          const s = createConnection({ host: peerAddr, port: TCP_PORT, allowHalfOpen: true });
          let received = 0;
          let srcPort = 0;
          s.on('connect', () => {
            srcPort = s.localPort!;
            s.end(Buffer.alloc(sent, 0x61));
          });
          s.on('data', (d: Buffer) => (received += d.length));
          s.on('error', reject);
          s.on('close', () => resolve({ protocol: 6, srcPort, sent, received }));
        }),
        `TCP exchange ${i}`,
      ),
    );
  }
  for (let j = 0; j < udp; j++) {
    const sent = 50 + j;
    const sock = createSocket('udp4');
    try {
      sock.bind(0);
      await once(sock, 'listening');
      const reply = once(sock, 'message') as Promise<[Buffer]>;
      sock.send(Buffer.alloc(sent, 0x62), UDP_PORT, peerAddr);
      const [msg] = await within(reply, `UDP exchange ${j}`);
      out.push({ protocol: 17, srcPort: sock.address().port, sent, received: msg.length });
    } finally {
      sock.close();
    }
  }
  return out;
}

/** tcpdump on the same interface: the independent record of what was on the wire. */
export async function startTcpdump(iface: string, filter: string, file: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn('tcpdump', ['-n', '-i', iface, '-s', '65535', '-U', '--immediate-mode', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start within 10 s: ${err}`)), 10_000);
    child.on('error', (e) => reject(new Error(`tcpdump: ${e.message} (scripts/install.sh installs it)`)));
    child.on('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    },
  };
}
