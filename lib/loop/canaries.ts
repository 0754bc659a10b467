// Canary attacks for the promotion guard: our simulator's scan, flood and DNS tunnel, run
// through the real flow table, moved into this network's first IPv4 internal range, and
// tagged with the attack each flow belongs to. Deterministic (fixed seed), so two guard
// runs on one model give one verdict.
import { FlowTable } from '../flow/table.ts';
import type { Flow } from '../flow/record.ts';
import { LinkType } from '../pcap/types.ts';
import { Simulation, type AttackName } from '../sim/scenario.ts';
import { tupleKey } from '../sim/pcap.ts';

export interface Canary {
  attack: AttackName;
  flows: Flow[];
}

const SIM_NET = '10.0.0.';
const SEED = 1337;
// Long enough for every attack's window (lib/sim starts them 30-50 % in, up to 30 s each).
const DURATION_S = 90;

/** The `a.b.c.` prefix the simulator's 10.0.0.x hosts move to: the first IPv4 internal range's. */
export function canaryPrefix(internalCidrs: readonly string[]): string {
  for (const c of internalCidrs) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.\d+\/(\d+)$/.exec(c);
    if (m && Number(m[4]) <= 24) return `${m[1]}.${m[2]}.${m[3]}.`;
  }
  return SIM_NET;
}

const moved = (ip: string, prefix: string): string => (ip.startsWith(SIM_NET) ? prefix + ip.slice(SIM_NET.length) : ip);

export function canaryFlows(attacks: readonly AttackName[], internalCidrs: readonly string[], startMicros: number): Canary[] {
  if (attacks.length === 0) return [];
  // A trickle of benign traffic, so the hosts' context looks like a network's and not a lab's.
  const sim = new Simulation({ seed: SEED, durationS: DURATION_S, startMicros, hosts: 8, flowsPerSecond: 2, attacks: [...attacks] });
  const packets = sim.collect(); // a minute of a small network: small enough to hold
  const attackOf = new Map<string, AttackName>();
  for (const t of sim.truth) attackOf.set(tupleKey(t.src_ip, t.src_port, t.dst_ip, t.dst_port, t.protocol), t.attack);
  const byAttack = new Map<AttackName, Flow[]>(attacks.map((a) => [a, []]));
  const prefix = canaryPrefix(internalCidrs);
  const table = new FlowTable({
    sensorId: 'canary',
    onExport: (f) => {
      const attack = attackOf.get(tupleKey(f.src_ip, f.src_port, f.dst_ip, f.dst_port, f.protocol));
      if (attack) byAttack.get(attack)!.push({ ...f, src_ip: moved(f.src_ip, prefix), dst_ip: moved(f.dst_ip, prefix) });
    },
  });
  for (const p of packets) table.onPacket(p.frame, 0, p.frame.length, p.frame.length, p.ts, LinkType.ETHERNET);
  table.flush('shutdown');
  return [...byAttack].map(([attack, flows]) => ({ attack, flows }));
}
