// tshark's conversation statistics, parsed: the reference the flow table is checked against.
import { spawnSync } from 'node:child_process';

export interface Conversation {
  a: string; // "ip:port" as tshark prints it
  b: string;
  framesBtoA: number;
  bytesBtoA: number | null; // null when tshark abbreviated the unit (kB, MB)
  framesAtoB: number;
  bytesAtoB: number | null;
}

const BYTES = /^([\d,]+) bytes$/;

export function tsharkConversations(pcap: string, kind: 'tcp' | 'udp'): Conversation[] {
  const r = spawnSync('tshark', ['-n', '-r', pcap, '-q', '-z', `conv,${kind}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out: Conversation[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(.+?)\s{2,}(\d+)\s+(.+?)\s{2,}(\d+)\s+/.exec(line);
    if (!m) continue;
    const num = (s: string) => {
      const b = BYTES.exec(s.trim());
      return b ? Number(b[1]!.replace(/,/g, '')) : null;
    };
    out.push({ a: m[1]!, b: m[2]!, framesBtoA: Number(m[3]), bytesBtoA: num(m[4]!), framesAtoB: Number(m[5]), bytesAtoB: num(m[6]!) });
  }
  return out;
}
