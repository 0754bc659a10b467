// The host tier on the three behaviours the flow tier misses (a UDP port scan, a UDP flood
// of non-DNS payloads to port 53, an SSH brute force) and on benign hard cases that must
// stay quiet (a monitoring poller, a busy resolver, a backup job moving gigabytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Flow } from '../../../lib/flow/record.ts';
import { withHostStats } from '../../../lib/flow/host.ts';
import { Sanity, payloadSanity } from '../../../lib/flow/sanity.ts';
import { Detector } from '../../../lib/detector/index.ts';
import { HostBaseline } from '../../../lib/detector/host.ts';
import { makeFlow } from '../../helpers/flows.ts';

const T0 = 1_700_000_000_000_000;
const S = 1e6;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let nextId = 0;
const id = () => `f-${++nextId}`;

const tcpSession = (src: string, dst: string, port: number, t: number, durS: number, fwd: number, rev: number, r: () => number): Flow =>
  makeFlow({
    flow_id: id(), src_ip: src, dst_ip: dst, src_port: 30000 + Math.floor(r() * 30000), dst_port: port, protocol: 6,
    ts_start: t, ts_end: t + durS * S, packets_fwd: Math.max(4, Math.ceil(fwd / 1400) + 3), packets_rev: Math.max(4, Math.ceil(rev / 1400) + 3),
    bytes_fwd: fwd, bytes_rev: rev, payload_bytes_fwd: fwd - 200, payload_bytes_rev: rev - 200, syn_count: 1, synack_count: 1, handshake_complete: true,
    end_reason: 'fin', payload_sanity: port === 22 || port === 80 || port === 443 ? Sanity.OK : Sanity.UNCHECKED,
  });

const dnsQuery = (src: string, dst: string, t: number, r: () => number, answered = true): Flow =>
  makeFlow({
    flow_id: id(), src_ip: src, dst_ip: dst, src_port: 30000 + Math.floor(r() * 30000), dst_port: 53, protocol: 17,
    ts_start: t, ts_end: t + (answered ? 20_000 : 0), packets_fwd: 1, packets_rev: answered ? 1 : 0, bytes_fwd: 70, bytes_rev: answered ? 130 : 0,
    payload_bytes_fwd: 42, payload_bytes_rev: answered ? 102 : 0, syn_count: 0, synack_count: 0, fin_count: 0, handshake_complete: false,
    end_reason: 'idle', dns_qname: 'www.example.com', dns_qname_len: 15, dns_label_count: 3, dns_qname_entropy: 3.2, dns_qtype: 1, dns_rcode: answered ? 0 : -1,
    payload_sanity: Sanity.OK,
  });

const tcpPoll = (src: string, dst: string, port: number, t: number, r: () => number): Flow =>
  makeFlow({
    flow_id: id(), src_ip: src, dst_ip: dst, src_port: 30000 + Math.floor(r() * 30000), dst_port: port, protocol: 6,
    ts_start: t, ts_end: t + 3000, packets_fwd: 3, packets_rev: 2, bytes_fwd: 140, bytes_rev: 100, payload_bytes_fwd: 0, payload_bytes_rev: 0,
    syn_count: 1, synack_count: 1, fin_count: 0, rst_count: 1, handshake_complete: true, end_reason: 'rst', payload_sanity: Sanity.UNCHECKED,
  });

const SERVERS = ['10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8'];
const RESOLVER = '10.0.0.2';
const POLLER = '10.0.0.30';
const BACKUP = '10.0.0.40';
const ATTACKER = '10.0.0.66';

/** `seconds` of benign traffic from `start`, hard cases included; sorted by start. */
function benign(start: number, seconds: number, seed: number, resolverLoad = 1): Flow[] {
  const r = rng(seed);
  const out: Flow[] = [];
  for (let c = 0; c < 8; c++) {
    const client = `10.0.0.${100 + c}`;
    for (let t = start + r() * 5 * S; t < start + seconds * S; t += (2 + r() * 12) * S) {
      out.push(dnsQuery(client, RESOLVER, t, r));
      out.push(tcpSession(client, SERVERS[Math.floor(r() * SERVERS.length)]!, r() < 0.7 ? 443 : 80, t + 30_000, 0.2 + r() * 20, 800 + r() * 3000, 2000 + r() * 200_000, r));
    }
    // A few SSH key logins, one of them after a mistyped password (a second short session).
    for (let k = 0; k < 2; k++) {
      const t = start + r() * seconds * S;
      out.push(tcpSession(client, SERVERS[0]!, 22, t, 5 + r() * 25, 3000, 4000, r));
      if (k === 0 && c % 3 === 0) out.push(tcpSession(client, SERVERS[0]!, 22, t + 8 * S, 4, 2900, 3900, r));
    }
  }
  // The monitoring poller: every host, four ports, every 5 s.
  for (let t = start; t < start + seconds * S; t += 5 * S) {
    for (const h of [...SERVERS, RESOLVER, BACKUP, '10.0.0.100', '10.0.0.101']) {
      for (const p of [22, 80, 443, 9100]) out.push(tcpPoll(POLLER, h, p, t + r() * 0.5 * S, r));
      out.push(makeFlow({ flow_id: id(), src_ip: POLLER, dst_ip: h, src_port: 8, dst_port: 0, protocol: 1, ts_start: t, ts_end: t + 1000, packets_fwd: 1, packets_rev: 1, bytes_fwd: 84, bytes_rev: 84, payload_bytes_fwd: 56, payload_bytes_rev: 56, syn_count: 0, synack_count: 0, fin_count: 0, handshake_complete: false, end_reason: 'idle' }));
    }
  }
  // The busy resolver: forwards 20-40 queries a second upstream; a few go unanswered.
  for (let t = start; t < start + seconds * S; t += (0.025 + r() * 0.025) * S / resolverLoad) {
    out.push(dnsQuery(RESOLVER, r() < 0.5 ? '8.8.8.8' : '1.1.1.1', t, r, r() > 0.02));
  }
  // The backup job: a few long flows moving gigabytes.
  for (let k = 0; k < 3; k++) {
    const t = start + k * (seconds / 3) * S;
    out.push(makeFlow({ ...tcpSession(BACKUP, '10.0.0.50', 873, t, seconds / 3 - 1, 2e9, 4e6, r), packets_fwd: 1_400_000, packets_rev: 700_000, end_reason: 'active' }));
  }
  return out.sort((a, b) => a.ts_start - b.ts_start);
}

function udpScan(start: number, r: () => number): Flow[] {
  // nmap -sU: one empty datagram to each of 200 ports of one host over 4 s; 90 % unanswered
  // (ICMP rate limiting), a few open ports answer.
  return Array.from({ length: 200 }, (_, i) => {
    const answered = r() < 0.1;
    return makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: SERVERS[0]!, src_port: 41234, dst_port: 1 + i * 7, protocol: 17, ts_start: start + i * 20_000, ts_end: start + i * 20_000 + (answered ? 500 : 0), packets_fwd: 1, packets_rev: answered ? 1 : 0, bytes_fwd: 28, bytes_rev: answered ? 56 : 0, payload_bytes_fwd: 0, payload_bytes_rev: answered ? 28 : 0, syn_count: 0, synack_count: 0, fin_count: 0, handshake_complete: false, end_reason: 'idle', payload_sanity: Sanity.UNCHECKED });
  });
}

function udpFlood53(start: number, r: () => number): Flow[] {
  // hping3 --udp -p 53 -d 120: a new source port per packet, 120 bytes that are not DNS, never answered.
  const junk = Uint8Array.from({ length: 120 }, () => Math.floor(r() * 256));
  junk[4] = 0xff; // qdcount far beyond any query
  const sanity = payloadSanity(17, 53, junk, 0, junk.length);
  return Array.from({ length: 3000 }, (_, i) =>
    makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: RESOLVER, src_port: 2000 + (i % 60000), dst_port: 53, protocol: 17, ts_start: start + i * 1000, ts_end: start + i * 1000, packets_fwd: 1, packets_rev: 0, bytes_fwd: 148, bytes_rev: 0, payload_bytes_fwd: 120, payload_bytes_rev: 0, syn_count: 0, synack_count: 0, fin_count: 0, handshake_complete: false, end_reason: 'idle', payload_sanity: sanity }),
  );
}

function sshBruteForce(start: number, r: () => number): Flow[] {
  // hydra -t 4 against SSH: 80 sessions in 60 s, each a few authentication exchanges of similar sizes.
  return Array.from({ length: 80 }, (_, i) => tcpSession(ATTACKER, SERVERS[0]!, 22, start + i * 0.75 * S, 1.5 + r() * 0.5, 2600 + r() * 100, 3300 + r() * 100, r));
}

const BASELINE = withHostStats(benign(T0, 600, 1));
const detector = Detector.train(BASELINE, { seed: 7 });

function scoreRun(attack: (start: number, r: () => number) => Flow[], seed: number) {
  const start = T0 + 700 * S;
  const r = rng(seed);
  const attackFlows = attack(start + 60 * S, r);
  const ids = new Set(attackFlows.map((f) => f.flow_id));
  const flows = withHostStats([...benign(start, 180, seed, 1.5), ...attackFlows].sort((a, b) => a.ts_start - b.ts_start));
  const verdicts = detector.score(flows);
  let caught = 0;
  let benignFlows = 0;
  let falseAlarms = 0;
  const hostFalseAlarms: string[] = [];
  const reasons = new Set<string>();
  flows.forEach((f, i) => {
    const v = verdicts[i]!;
    if (ids.has(f.flow_id)) {
      if (v.anomaly === -1) caught++;
      if (v.behaviour) reasons.add(v.reasons[0]!.feature);
    } else {
      benignFlows++;
      if (v.anomaly === -1) falseAlarms++;
      if (v.behaviour) hostFalseAlarms.push(`${f.src_ip} ${v.reasons[0]!.text}`);
    }
  });
  return { recall: caught / attackFlows.length, fpr: falseAlarms / benignFlows, hostFalseAlarms, reasons };
}

test('a UDP port scan lifts the host over its threshold: its probes are flagged with the scan as reason', () => {
  const r = scoreRun(udpScan, 11);
  assert.ok(r.recall >= 0.9, `recall ${r.recall}`);
  assert.ok(r.reasons.has('host.port_scan'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
  assert.ok(r.fpr <= 0.01, `false alarms ${r.fpr}`);
});

test('a UDP flood of non-DNS payloads to port 53 is flagged as a whole', () => {
  const r = scoreRun(udpFlood53, 12);
  assert.ok(r.recall >= 0.99, `recall ${r.recall}`);
  assert.ok(r.reasons.has('host.flood') || r.reasons.has('host.non_protocol'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
  assert.ok(r.fpr <= 0.01, `false alarms ${r.fpr}`);
});

test('an SSH brute force is flagged once the sessions repeat, benign logins and mistyped passwords are not', () => {
  const r = scoreRun(sshBruteForce, 13);
  assert.ok(r.recall >= 0.85, `recall ${r.recall}`);
  assert.ok(r.reasons.has('host.brute_force'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
  assert.ok(r.fpr <= 0.01, `false alarms ${r.fpr}`);
});

test('benign hard cases (monitoring poller, busy resolver at 1.5x, backup job) raise no host alarm', () => {
  const r = scoreRun(() => [], 14);
  assert.deepEqual(r.hostFalseAlarms, []);
  assert.ok(r.fpr <= 0.01, `false alarms ${r.fpr}`);
});

test('the host baseline survives serialization', () => {
  const again = Detector.deserialize(detector.serialize());
  const flows = withHostStats(udpScan(T0 + 2000 * S, rng(3)));
  assert.deepEqual(again.score(flows), detector.score(flows));
});

test('protocol sanity: real protocol heads pass, other bytes do not', () => {
  const dns = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1]);
  assert.equal(payloadSanity(17, 53, dns, 0, dns.length), Sanity.OK);
  assert.equal(payloadSanity(17, 53, new Uint8Array(120).fill(0x58), 0, 120), Sanity.MISMATCH);
  const ntp = new Uint8Array(48);
  ntp[0] = 0x23; // v4, client
  assert.equal(payloadSanity(17, 123, ntp, 0, 48), Sanity.OK);
  assert.equal(payloadSanity(17, 123, new Uint8Array(20), 0, 20), Sanity.MISMATCH);
  const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  assert.equal(payloadSanity(6, 22, ascii('SSH-2.0-OpenSSH_9.2\r\n'), 0, 21), Sanity.OK);
  assert.equal(payloadSanity(6, 22, ascii('GET / HTTP/1.1\r\n'), 0, 16), Sanity.MISMATCH);
  assert.equal(payloadSanity(6, 80, ascii('GET / HTTP/1.1\r\n'), 0, 16), Sanity.OK);
  assert.equal(payloadSanity(6, 443, Uint8Array.from([0x16, 3, 1, 0, 0xc8]), 0, 5), Sanity.OK);
  assert.equal(payloadSanity(6, 443, ascii('GET / HTTP/1.1\r\n'), 0, 16), Sanity.MISMATCH);
  assert.equal(payloadSanity(6, 8080, ascii('anything'), 0, 8), Sanity.UNCHECKED);
  assert.equal(payloadSanity(17, 53, dns, 0, 0), Sanity.UNCHECKED);
});

function slowSynScan(start: number): Flow[] {
  // nmap -sS -T1 on two open ports: one probe every 15 s, each SYN-ACK answered by a reset.
  return [22, 80].map((port, i) =>
    makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: SERVERS[0]!, src_port: 51000, dst_port: port, protocol: 6, ts_start: start + i * 15 * S, ts_end: start + i * 15 * S + 300, packets_fwd: 2, packets_rev: 1, bytes_fwd: 98, bytes_rev: 58, payload_bytes_fwd: 0, payload_bytes_rev: 0, syn_count: 1, synack_count: 1, fin_count: 0, rst_count: 1, handshake_complete: false, end_reason: 'rst', payload_sanity: Sanity.UNCHECKED }),
  );
}

function icmpFloodOneFlow(start: number): Flow[] {
  // hping3 -1 -c 2000 -i u1000: one ICMP id, so one flow of 2000 echo requests in about 2 s.
  return [makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: SERVERS[1]!, src_port: 8, dst_port: 0, protocol: 1, ts_start: start, ts_end: start + 2.2 * S, packets_fwd: 2000, packets_rev: 2000, bytes_fwd: 56000, bytes_rev: 56000, payload_bytes_fwd: 0, payload_bytes_rev: 0, syn_count: 0, synack_count: 0, fin_count: 0, handshake_complete: false, end_reason: 'idle', payload_sanity: Sanity.UNCHECKED })];
}

test('a slow SYN scan (two half-open probes in 30 s) is flagged probe by probe; completed handshakes are not', () => {
  const r = scoreRun(slowSynScan, 15);
  assert.equal(r.recall, 1);
  assert.ok(r.reasons.has('host.port_scan'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
});

test('an ICMP flood in a single flow is flagged by its rate; a one-per-second ping is not', () => {
  const r = scoreRun(icmpFloodOneFlow, 16);
  assert.equal(r.recall, 1);
  assert.ok(r.reasons.has('host.flood'), [...r.reasons].join());
  const ping = makeFlow({ flow_id: id(), src_ip: POLLER, dst_ip: SERVERS[1]!, src_port: 8, dst_port: 0, protocol: 1, ts_start: T0 + 900 * S, ts_end: T0 + 1020 * S, packets_fwd: 120, packets_rev: 120, bytes_fwd: 3360, bytes_rev: 3360, payload_bytes_fwd: 0, payload_bytes_rev: 0, handshake_complete: false, end_reason: 'idle', payload_sanity: Sanity.UNCHECKED });
  const [v] = detector.score(withHostStats([ping]));
  assert.equal(v!.behaviour, null);
});

function finScan(start: number): Flow[] {
  // nmap -sF on three ports: a lone FIN each, closed ports answer with a reset; too few for any rate.
  return [23, 25, 110].map((port, i) =>
    makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: SERVERS[2]!, src_port: 52000, dst_port: port, protocol: 6, ts_start: start + i * 10 * S, ts_end: start + i * 10 * S + 200, packets_fwd: 1, packets_rev: 1, bytes_fwd: 40, bytes_rev: 40, payload_bytes_fwd: 0, payload_bytes_rev: 0, syn_count: 0, synack_count: 0, fin_count: 1, rst_count: 1, odd_flags_count: 1, handshake_complete: false, end_reason: 'rst', payload_sanity: Sanity.UNCHECKED }),
  );
}

function slowloris(start: number, r: () => number): Flow[] {
  // slowhttptest -H -c 150: 150 connections to the web server, a header line every 10 s for 60 s, never answered.
  return Array.from({ length: 150 }, (_, i) =>
    makeFlow({ flow_id: id(), src_ip: ATTACKER, dst_ip: SERVERS[1]!, src_port: 40000 + i, dst_port: 80, protocol: 6, ts_start: start + i * 10_000, ts_end: start + (60 + r()) * S, packets_fwd: 10, packets_rev: 7, bytes_fwd: 900, bytes_rev: 380, payload_bytes_fwd: 380, payload_bytes_rev: 0, syn_count: 1, synack_count: 1, fin_count: 2, psh_count: 7, handshake_complete: true, end_reason: 'fin', payload_sanity: Sanity.OK }),
  );
}

test('a stealth FIN scan of three ports is flagged probe by probe by its flags', () => {
  const r = scoreRun(finScan, 17);
  assert.equal(r.recall, 1);
  assert.ok(r.reasons.has('host.port_scan'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
});

test('a slow DoS (150 nearly idle connections to one web server) is flagged as slow_dos; idle SSH sessions are not', () => {
  const r = scoreRun(slowloris, 18);
  // The connections before the source crosses its threshold (2 x typical + 8) are missed.
  assert.ok(r.recall >= 0.9, `recall ${r.recall}`);
  assert.ok(r.reasons.has('host.slow_dos'), [...r.reasons].join());
  assert.deepEqual(r.hostFalseAlarms, []);
  assert.ok(r.fpr <= 0.01, `false alarms ${r.fpr}`);
});

test('a host baseline from before the stalled statistic is restored, its slow-DoS threshold from the slack alone', () => {
  const state = structuredClone(HostBaseline.fit(BASELINE).state);
  delete state.typical.stalled;
  const old = HostBaseline.restore(state);
  const flows = withHostStats(slowloris(T0 + 3000 * S, rng(4)));
  assert.ok(flows.filter((f) => old.judge(f)?.behaviour === 'slow_dos').length >= 140);
});
