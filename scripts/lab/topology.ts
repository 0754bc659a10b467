// The lab's wire: one Linux bridge in the host namespace and one network namespace per lab
// host, each joined to the bridge by a veth pair. Every name carries the lab process's pid
// (interface names are limited to 15 characters), so two labs never meet, and `remove()`
// deletes every namespace, veth and the bridge again, also after a failure half-way.
import { spawnSync } from 'node:child_process';

export interface LabHost {
  role: string;
  ns: string;
  addr: string;
}

export interface Topology {
  bridge: string;
  /** The internal /24, e.g. 10.204.17.0/24. */
  internalCidr: string;
  hosts: Record<string, LabHost>;
  remove(): void;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.trim() || r.error?.message}`);
}

const inNs = (ns: string, cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

/** The external host sits outside every private range, as an Internet peer would. */
export const EXTERNAL_NET = '198.51.100';

/**
 * Creates the bridge and one namespace per role. Internal hosts get 10.204.<n>.<i+10>/24
 * (n from the pid), the role named `external` gets 198.51.100.7/24 on the same wire, with
 * on-link routes both ways.
 */
export function createTopology(roles: string[]): Topology {
  const pid = process.pid;
  const bridge = `nlbr${pid}`.slice(0, 15);
  const subnet = `10.204.${pid % 250}`;
  const hosts: Record<string, LabHost> = {};
  const veths: string[] = [];
  const namespaces: string[] = [];
  const remove = () => {
    for (const v of veths) spawnSync('ip', ['link', 'del', v]);
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', bridge]);
  };
  try {
    spawnSync('ip', ['link', 'del', bridge]); // a killed run's leftover with the same pid
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    // No IPv6 on the wire: router solicitations would be traffic nobody in the lab made.
    spawnSync('sysctl', ['-q', '-w', `net.ipv6.conf.${bridge}.disable_ipv6=1`]);
    run('ip', ['link', 'set', bridge, 'up']);
    roles.forEach((role, i) => {
      const ns = `nidsL${i}x${pid}`;
      const hostIf = `nlv${i}x${pid}`.slice(0, 15);
      spawnSync('ip', ['netns', 'del', ns]);
      spawnSync('ip', ['link', 'del', hostIf]);
      run('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      veths.push(hostIf);
      spawnSync('sysctl', ['-q', '-w', `net.ipv6.conf.${hostIf}.disable_ipv6=1`]);
      run('ip', ['link', 'set', hostIf, 'master', bridge]);
      run('ip', ['link', 'set', hostIf, 'up']);
      const external = role === 'external';
      const addr = external ? `${EXTERNAL_NET}.7` : `${subnet}.${i + 10}`;
      inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      // Port-unreachable answers are rate-limited to ~1/s by default; real servers on a LAN
      // answer a UDP scan at wire speed, and the scan should look like one.
      inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
      inNs(ns, 'ip', ['addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      inNs(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
      inNs(ns, 'ip', ['route', 'add', external ? `${subnet}.0/24` : `${EXTERNAL_NET}.0/24`, 'dev', 'eth0']);
      hosts[role] = { role, ns, addr };
    });
  } catch (err) {
    remove();
    throw err;
  }
  return { bridge, internalCidr: `${subnet}.0/24`, hosts, remove };
}
