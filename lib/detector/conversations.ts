// Known conversations: per (source, destination, protocol, destination port), the largest
// flow the baseline saw. A flow whose only fault is the forest's score (no feature beyond
// the baseline's range, no host behaviour) and that repeats a conversation its source
// already had at a similar size is normal for that host: the backup job's nightly dump, a
// user's usual large download. The forest cannot know this, because it judges flows
// against all hosts' flows, where a few large transfers are always the rarest.
import type { Flow } from '../flow/record.ts';

/** A repeat may be this many times larger than the baseline's largest and still count as known. */
const SIZE_MARGIN = 4;
/** Bounds the model: the most frequent conversations are kept. */
const MAX_CONVERSATIONS = 50_000;

export type ConversationsState = Record<string, number>;

const keyOf = (f: Flow) => `${f.src_ip}>${f.dst_ip}|${f.protocol}|${f.dst_port}`;

export class KnownConversations {
  private constructor(readonly state: ConversationsState) {}

  static fit(flows: readonly Flow[]): KnownConversations {
    const largest = new Map<string, number>();
    const count = new Map<string, number>();
    for (const f of flows) {
      const k = keyOf(f);
      largest.set(k, Math.max(largest.get(k) ?? 0, f.bytes_fwd + f.bytes_rev));
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    const keep = [...count.keys()].sort((a, b) => count.get(b)! - count.get(a)! || (a < b ? -1 : 1)).slice(0, MAX_CONVERSATIONS);
    return new KnownConversations(Object.fromEntries(keep.map((k) => [k, largest.get(k)!])));
  }

  static restore(state: ConversationsState): KnownConversations {
    return new KnownConversations(state);
  }

  /** The source had this conversation in the baseline, with a flow at least a quarter as large. */
  covers(f: Flow): boolean {
    const largest = this.state[keyOf(f)];
    return largest !== undefined && f.bytes_fwd + f.bytes_rev <= SIZE_MARGIN * largest;
  }
}
