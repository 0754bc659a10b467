// The lab's servers: HTTP, a data sink on 443 and NTP (scripts/lab/agent.ts serve) on every
// server host; on the internal server also DNS (dnsmasq, authoritative for the lab's names)
// and SSH (openssh-server with its own host key, key logins for the test user root, password
// logins offered and always refused, so a brute force meets what it would on a real host).
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LabHost } from './topology.ts';

type InNs = (ns: string, cmd: string, args: string[], opts?: { cwd?: string; quiet?: boolean }) => ChildProcess;
type Agent = (ns: string, args: string[]) => ChildProcess;

export const LAB_DOMAINS = ['lab', 'example.com', 'example.org'];

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr.trim() || r.error?.message}`);
}

async function waitReady(c: ChildProcess, what: string): Promise<void> {
  let out = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s`)), 30_000);
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        ok();
      }
    });
    c.on('exit', (code) => (clearTimeout(timer), fail(new Error(`${what} exited ${code}`))));
  });
}

/** Starts the host's servers; with a key folder, also DNS and SSH. Resolves when they listen. */
export async function startServer(host: LabHost, keydir: string | null, inNs: InNs, agent: Agent): Promise<void> {
  const web = agent(host.ns, ['serve', host.addr]);
  await waitReady(web, `the lab's servers on ${host.addr}`);
  if (!keydir) return;
  mkdirSync(keydir, { recursive: true });
  keygen(resolve(keydir, 'host_key'));
  keygen(resolve(keydir, 'client_key'));
  writeFileSync(resolve(keydir, 'authorized_keys'), readFileSync(resolve(keydir, 'client_key.pub')));
  // A user who mistypes: ssh asks this for the password once, then falls back to the key.
  writeFileSync(resolve(keydir, 'askpass'), '#!/bin/sh\necho hunter3\n');
  chmodSync(resolve(keydir, 'askpass'), 0o755);
  const config = resolve(keydir, 'sshd_config');
  writeFileSync(config, [
    `ListenAddress ${host.addr}`, 'Port 22', `HostKey ${resolve(keydir, 'host_key')}`, 'PidFile none',
    `AuthorizedKeysFile ${resolve(keydir, 'authorized_keys')}`, 'StrictModes no', 'PermitRootLogin yes',
    'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no', 'MaxStartups 200:30:400', 'LogLevel ERROR', '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege-separation folder (the Debian unit creates it)
  const sshd = inNs(host.ns, '/usr/sbin/sshd', ['-D', '-e', '-f', config]);
  const dns = inNs(host.ns, 'dnsmasq', ['-k', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${host.addr}`,
    '--pid-file=', '-u', 'root', '--cache-size=0', ...LAB_DOMAINS.map((d) => `--address=/${d}/${host.addr}`)]);
  await new Promise((r) => setTimeout(r, 1500));
  for (const [c, what] of [[sshd, 'sshd'], [dns, 'dnsmasq']] as const) {
    if (c.exitCode !== null) throw new Error(`${what} exited ${c.exitCode} at start`);
  }
}
