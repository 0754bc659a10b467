// host.flows_per_s: flows/s through the sensor's behaviour statistics at export
// (HostTracker.observe, which includes the victim-side ServiceTracker) beside the
// ServiceTracker alone, on two inputs: a SYN flood from N spoofed sources (a new source per
// flow, one victim) and a port scan (one source, a new service per flow: the worst case for
// per-service state). host.bytes_per_service: heap per tracked service. N: HOST_FLOWS
// (default 300,000).
import { HostTracker } from '../lib/flow/host.ts';
import { ServiceTracker } from '../lib/flow/service.ts';
import type { Flow } from '../lib/flow/record.ts';
import { makeFlow } from '../test/helpers/flows.ts';
import { emit } from './util.ts';

const N = Number(process.env.HOST_FLOWS ?? 300_000);
const T0 = 1.7e15;

function flows(kind: 'spoofed' | 'scan', n = N): Flow[] {
  return Array.from({ length: n }, (_, i) =>
    makeFlow({
      src_ip: kind === 'spoofed' ? `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}` : '10.0.0.66', dst_ip: '10.0.0.5', dst_port: kind === 'spoofed' ? 80 : 1 + (i % 65535),
      protocol: 6, ts_start: T0 + i * 20, ts_end: T0 + i * 20, packets_fwd: 1, packets_rev: 1, syn_count: 1, synack_count: 1, handshake_complete: false,
    }),
  );
}

function rate(input: Flow[], observe: (f: Flow) => unknown): number {
  for (let i = 0; i < Math.min(input.length, 20_000); i++) observe(input[i]!); // warm-up
  const t = performance.now();
  for (const f of input) observe(f);
  return input.length / ((performance.now() - t) / 1000);
}

// Memory first, before the rate runs leave garbage behind.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  const n = 50_000;
  const input = flows('scan', n);
  gc();
  gc();
  const before = process.memoryUsage();
  const tracker = new ServiceTracker(n);
  for (const f of input) tracker.observe(f);
  gc();
  gc();
  const after = process.memoryUsage();
  if (tracker.trackedServices !== n) throw new Error(`expected ${n} services, the tracker holds ${tracker.trackedServices}`);
  emit('host.bytes_per_service', 'nids', (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / n, 'bytes');
} else process.stderr.write('host.bytes_per_service needs --expose-gc\n');

for (const kind of ['spoofed', 'scan'] as const) {
  const input = flows(kind);
  const host = new HostTracker();
  emit(`host.flows_per_s.${kind}`, 'host+service', rate(input, (f) => host.observe(f)), 'flows/s');
  const service = new ServiceTracker();
  emit(`host.flows_per_s.${kind}`, 'service only', rate(input, (f) => service.observe(f)), 'flows/s');
}
