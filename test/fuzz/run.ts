// `npm run fuzz [-- packets]`: the capture fuzzer until 10 M packets (default) went through.
import { fuzz } from './captures.ts';

const packets = Number(process.argv[2] ?? 10_000_000);
const seed = Number(process.env.NIDS_FUZZ_SEED ?? 1);
const r = fuzz({ packets, seed, maxMs: 3_600_000 });
process.stdout.write(JSON.stringify({ ...r, packetsPerSecond: Math.round(r.packets / (r.ms / 1000)), seed }) + '\n');
if (r.packets < packets) process.exitCode = 1;
