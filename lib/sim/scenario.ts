// A small office network, deterministic from a seed: benign background (web, DNS, NTP,
// SSH) and the classic attacks (port scan, SYN flood, DNS tunneling, odd external access,
// UDP flood). Produces timestamped frames plus the ground truth of every attack flow.
//
// Frames stream out in time order while only the flows in progress are held, so a
// simulation of any length runs in the same memory. The bytes are those of making every
// packet, then sorting them all (a stable sort: ties in the order they were made, the
// attacks after the benign traffic): the attacks are drawn from the random generator's state
// after all the benign traffic, so a first pass runs the benign traffic without building
// frames to reach that state, the attacks (a few thousand packets, whatever the duration)
// are made and kept, and a second pass makes the benign traffic again and merges.
import { Random } from '../iforest/random.ts';
import { dnsMessage, tcpFrame, udpFrame, type Endpoint } from './frames.ts';
import { TcpFlag } from '../packet/decode.ts';
import { PacketHeap } from './packet-heap.ts';

export const ATTACKS = ['portscan', 'synflood', 'dnstunnel', 'external', 'udpflood'] as const;
export type AttackName = (typeof ATTACKS)[number];

export interface SimulationOptions {
  seed: number;
  durationS: number;
  /** Capture start, epoch microseconds. */
  startMicros: number;
  hosts: number;
  /** Benign flows started per second, on average. */
  flowsPerSecond: number;
  attacks: AttackName[];
}

export interface TruthRecord {
  attack: AttackName;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: number;
  ts: number;
}

export interface Packet { ts: number; frame: Uint8Array }

const RESOLVER = '10.0.0.2';
const SSH_SERVER = '10.0.0.5';
const WEB_SERVERS = ['93.184.216.34', '151.101.1.69', '142.250.74.46', '104.16.132.229', '13.107.42.14'];
const NTP_SERVER = '162.159.200.1';
const NAMES = ['www.example.com', 'mail.example.com', 'cdn.jsdelivr.net', 'github.com', 'api.github.com', 'login.microsoftonline.com', 'www.google.com', 'fonts.gstatic.com', 'updates.ubuntu.com', 'slack.com', 'zoom.us', 'intranet.corp.local'];

const NO_FRAME = new Uint8Array(0);

export class Simulation {
  readonly truth: TruthRecord[] = [];
  benignFlows = 0;
  private rng: Random;
  private ipId = 1;
  private usedPorts = new Map<string, number>();
  /** Pass 1: draw from the generator as usual, build no frame, emit nothing. */
  private dry = false;
  private sink: (ts: number, frame: Uint8Array) => void = () => {};

  constructor(private readonly o: SimulationOptions) {
    this.rng = new Random(o.seed);
  }

  /** Every packet in memory, in time order: for small simulations (tests, fuzzing). */
  collect(): Packet[] {
    const out: Packet[] = [];
    this.stream((ts, frame) => out.push({ ts, frame }));
    return out;
  }

  /** Calls `onPacket` for every packet in time order (ties: in the order they were made). */
  stream(onPacket: (ts: number, frame: Uint8Array) => void): this {
    this.restart();
    this.dry = true;
    this.benignTraffic(() => {});
    this.dry = false;
    const attacks: Packet[] = [];
    this.sink = (ts, frame) => attacks.push({ ts, frame });
    this.truth.length = 0;
    for (const a of this.o.attacks) this.attack(a);
    attacks.sort((x, y) => x.ts - y.ts);

    this.restart();
    const heap = new PacketHeap();
    this.sink = (ts, frame) => heap.push(ts, frame);
    let next = 0; // the next attack packet
    const release = (before: number) => {
      while (heap.size > 0 && heap.minTs < before) {
        const ts = heap.minTs;
        while (next < attacks.length && attacks[next]!.ts < ts) onPacket(attacks[next]!.ts, attacks[next++]!.frame);
        onPacket(ts, heap.pop());
      }
    };
    // A flow's packets are stamped at or after its start: those before it are final.
    this.benignTraffic((start) => release(Math.round(start)));
    release(Infinity);
    while (next < attacks.length) onPacket(attacks[next]!.ts, attacks[next++]!.frame);
    this.sink = () => {};
    return this;
  }

  private restart(): void {
    this.rng = new Random(this.o.seed);
    this.ipId = 1;
    this.usedPorts.clear();
    this.benignFlows = 0;
  }

  /** The benign flows in order of their start; `beforeFlow` is told each start first. */
  private benignTraffic(beforeFlow: (start: number) => void): void {
    const end = this.o.startMicros + this.o.durationS * 1e6;
    let t = this.o.startMicros;
    while (true) {
      t += this.exp(1e6 / this.o.flowsPerSecond);
      if (t >= end - 2e6) break;
      beforeFlow(t);
      this.benign(t);
      this.benignFlows++;
    }
  }

  // Frame builders: nothing is built in the first pass (their arguments, which may draw
  // from the generator, are still evaluated).
  private tcpFrame(...a: Parameters<typeof tcpFrame>): Uint8Array {
    return this.dry ? NO_FRAME : tcpFrame(...a);
  }

  private udpFrame(...a: Parameters<typeof udpFrame>): Uint8Array {
    return this.dry ? NO_FRAME : udpFrame(...a);
  }

  private dnsMessage(...a: Parameters<typeof dnsMessage>): Uint8Array {
    return this.dry ? NO_FRAME : dnsMessage(...a);
  }

  private host(): string {
    return `10.0.0.${10 + this.rng.int(this.o.hosts)}`;
  }

  /** An ephemeral port not used by `ip` yet, so each simulated flow is its own 5-tuple. */
  private ephemeral(ip: string): number {
    const next = this.usedPorts.get(ip) ?? 32768 + this.rng.int(20000);
    this.usedPorts.set(ip, next + 1 + this.rng.int(3) > 60999 ? 32768 : next + 1 + this.rng.int(3));
    return next;
  }

  private exp(mean: number): number {
    return -Math.log(1 - this.rng.next()) * mean;
  }

  private emit(ts: number, frame: Uint8Array): void {
    if (!this.dry) this.sink(Math.round(ts), frame);
  }

  private id(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** A TCP conversation: handshake, request/response rounds, FIN teardown. */
  private tcpSession(t: number, c: Endpoint, s: Endpoint, rounds: number, reqBytes: () => number, respBytes: () => number, rtt: number): number {
    let cs = this.rng.nextU32();
    let ss = this.rng.nextU32();
    this.emit(t, this.tcpFrame(c, s, TcpFlag.SYN, cs, 0, 0, this.id()));
    t += rtt / 2;
    this.emit(t, this.tcpFrame(s, c, TcpFlag.SYN | TcpFlag.ACK, ss, cs + 1, 0, this.id()));
    t += rtt / 2;
    cs++;
    ss++;
    this.emit(t, this.tcpFrame(c, s, TcpFlag.ACK, cs, ss, 0, this.id()));
    for (let r = 0; r < rounds; r++) {
      t += 200 + this.exp(2000);
      const q = reqBytes();
      this.emit(t, this.tcpFrame(c, s, TcpFlag.PSH | TcpFlag.ACK, cs, ss, q, this.id()));
      cs += q;
      t += rtt / 2 + this.exp(5000);
      let left = respBytes();
      while (left > 0) {
        const seg = Math.min(1400, left);
        this.emit(t, this.tcpFrame(s, c, TcpFlag.PSH | TcpFlag.ACK, ss, cs, seg, this.id()));
        ss += seg;
        left -= seg;
        t += 50 + this.rng.int(200);
      }
      this.emit(t + rtt / 2, this.tcpFrame(c, s, TcpFlag.ACK, cs, ss, 0, this.id()));
    }
    t += 5000 + this.exp(20000);
    this.emit(t, this.tcpFrame(c, s, TcpFlag.FIN | TcpFlag.ACK, cs, ss, 0, this.id()));
    t += rtt / 2;
    this.emit(t, this.tcpFrame(s, c, TcpFlag.FIN | TcpFlag.ACK, ss, cs + 1, 0, this.id()));
    t += rtt / 2;
    this.emit(t, this.tcpFrame(c, s, TcpFlag.ACK, cs + 1, ss + 1, 0, this.id()));
    return t;
  }

  private dns(t: number, client: string, name: string, qtype: number, rcode: number, rtt: number): Endpoint {
    const c = { ip: client, port: this.ephemeral(client) };
    const r = { ip: RESOLVER, port: 53 };
    const id = this.rng.int(65536);
    this.emit(t, this.udpFrame(c, r, this.dnsMessage(id, name, qtype, false), this.id()));
    this.emit(t + rtt, this.udpFrame(r, c, this.dnsMessage(id, name, qtype, { rcode }), this.id()));
    return c;
  }

  private benign(t: number): void {
    const h = this.host();
    const kind = this.rng.next();
    if (kind < 0.55) {
      const s = { ip: WEB_SERVERS[this.rng.int(WEB_SERVERS.length)]!, port: this.rng.next() < 0.9 ? 443 : 80 };
      this.tcpSession(t, { ip: h, port: this.ephemeral(h) }, s, 1 + this.rng.int(6), () => 200 + this.rng.int(900), () => 300 + this.rng.int(8000), 15000 + this.rng.int(40000));
    } else if (kind < 0.85) {
      const nx = this.rng.next() < 0.05;
      this.dns(t, h, nx ? `wpad.${NAMES[this.rng.int(NAMES.length)]}` : NAMES[this.rng.int(NAMES.length)]!, this.rng.next() < 0.7 ? 1 : 28, nx ? 3 : 0, 500 + this.rng.int(20000));
    } else if (kind < 0.92) {
      const c = { ip: h, port: 123 };
      const s = { ip: NTP_SERVER, port: 123 };
      this.emit(t, this.udpFrame(c, s, new Uint8Array(48).fill(0x23), this.id()));
      this.emit(t + 20000 + this.rng.int(10000), this.udpFrame(s, c, new Uint8Array(48).fill(0x24), this.id()));
    } else {
      this.tcpSession(t, { ip: h, port: this.ephemeral(h) }, { ip: SSH_SERVER, port: 22 }, 3 + this.rng.int(20), () => 36 + this.rng.int(100), () => 36 + this.rng.int(400), 300 + this.rng.int(700));
    }
  }

  private window(): { start: number; end: number } {
    const start = this.o.startMicros + this.o.durationS * 1e6 * (0.3 + 0.2 * this.rng.next());
    return { start, end: Math.min(start + 30e6, this.o.startMicros + this.o.durationS * 1e6 - 3e6) };
  }

  private record(attack: AttackName, c: Endpoint, s: Endpoint, protocol: number, ts: number): void {
    this.truth.push({ attack, src_ip: c.ip, dst_ip: s.ip, src_port: c.port, dst_port: s.port, protocol, ts: Math.round(ts) });
  }

  private attack(a: AttackName): void {
    const { start, end } = this.window();
    const span = end - start;
    switch (a) {
      case 'portscan': {
        // SYN scan of the first 1024 ports of the internal server; closed ports answer RST.
        const attacker = '10.0.0.66';
        const port = this.ephemeral(attacker);
        for (let p = 1; p <= 1024; p++) {
          const t = start + (p / 1024) * Math.min(span, 8e6);
          const c = { ip: attacker, port };
          const s = { ip: SSH_SERVER, port: p };
          const seq = this.rng.nextU32();
          this.emit(t, this.tcpFrame(c, s, TcpFlag.SYN, seq, 0, 0, this.id()));
          if (p === 22) {
            this.emit(t + 300, this.tcpFrame(s, c, TcpFlag.SYN | TcpFlag.ACK, this.rng.nextU32(), seq + 1, 0, this.id()));
            this.emit(t + 600, this.tcpFrame(c, s, TcpFlag.RST, seq + 1, 0, 0, this.id()));
          } else this.emit(t + 300, this.tcpFrame(s, c, TcpFlag.RST | TcpFlag.ACK, 0, seq + 1, 0, this.id()));
          this.record(a, c, s, 6, t);
        }
        break;
      }
      case 'synflood': {
        // Spoofed sources hammer the web port; nobody completes a handshake.
        const target = { ip: SSH_SERVER, port: 80 };
        for (let i = 0; i < 1500; i++) {
          const t = start + (i / 1500) * Math.min(span, 5e6);
          const c = { ip: `198.51.100.${1 + this.rng.int(254)}`, port: 1024 + this.rng.int(64000) };
          this.emit(t, this.tcpFrame(c, target, TcpFlag.SYN, this.rng.nextU32(), 0, 0, this.id()));
          this.record(a, c, target, 6, t);
        }
        break;
      }
      case 'dnstunnel': {
        // Data exfiltrated in long, random-looking TXT query names to one domain.
        const host = '10.0.0.23';
        const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
        for (let i = 0; i < 400; i++) {
          const t = start + (i / 400) * Math.min(span, 20e6);
          let chunk = '';
          const n = 40 + this.rng.int(20);
          for (let k = 0; k < n; k++) chunk += alphabet[this.rng.int(alphabet.length)];
          const name = `${chunk.slice(0, 30)}.${chunk.slice(30)}.${i.toString(36)}.t.exfil-tunnel.net`;
          const c = this.dns(t, host, name, 16, 0, 2000 + this.rng.int(3000));
          this.record(a, c, { ip: RESOLVER, port: 53 }, 17, t);
        }
        break;
      }
      case 'external': {
        // A reverse shell to an unusual external port, and an external host brute-forcing SSH and RDP.
        const victim = '10.0.0.14';
        const c2 = { ip: '185.220.101.7', port: 4444 };
        const c = { ip: victim, port: this.ephemeral(victim) };
        this.tcpSession(start, c, c2, 60, () => 20 + this.rng.int(80), () => 20 + this.rng.int(200), 80000);
        this.record(a, c, c2, 6, start);
        const brute = '45.155.205.9';
        for (let i = 0; i < 60; i++) {
          const t = start + (i / 60) * Math.min(span, 15e6);
          const s = { ip: SSH_SERVER, port: i % 3 === 0 ? 3389 : 22 };
          const cc = { ip: brute, port: this.ephemeral(brute) };
          this.tcpSession(t, cc, s, 1, () => 40 + this.rng.int(30), () => 40 + this.rng.int(30), 60000);
          this.record(a, cc, s, 6, t);
        }
        break;
      }
      case 'udpflood': {
        const src = { ip: '10.0.0.77', port: this.ephemeral('10.0.0.77') };
        for (let i = 0; i < 800; i++) {
          const t = start + (i / 800) * Math.min(span, 4e6);
          const dst = { ip: '10.0.0.5', port: 1 + this.rng.int(65534) };
          this.emit(t, this.udpFrame(src, dst, new Uint8Array(512).fill(0x41), this.id()));
          this.record(a, src, dst, 17, t);
        }
        break;
      }
    }
  }
}
