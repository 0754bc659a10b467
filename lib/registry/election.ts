// Who may write: every leader-eligible instance joins one Kafka consumer group subscribed to
// the one-partition schemas topic, and the group coordinator assigns that partition to
// exactly one member per generation. Holding it is being elected. Losing it (a rebalance
// starts, the consumer stops or crashes, the session times out) is being demoted at once.
// The election alone cannot stop a paused old writer from writing: fencing does that (see
// SchemaLogWriter); the election only decides who should open the writer next.
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log/index.ts';

export interface ElectionEvents {
  /** This instance now holds the partition (a new generation). */
  elected(generation: number): void;
  /** This instance no longer holds it, or cannot know that it still does. */
  demoted(reason: string): void;
}

export class LeaderElection {
  private consumer: Consumer | null = null;
  private leading = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly events: ElectionEvents,
    private readonly sessionTimeoutMs = 6000,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: this.sessionTimeoutMs * 2,
      heartbeatInterval: Math.max(200, Math.floor(this.sessionTimeoutMs / 6)),
      // Short fetches: the group heartbeats between fetches, and nothing here needs the data.
      maxWaitTimeInMs: 250,
      maxBytes: 1024,
      readUncommitted: false,
    });
    this.consumer = consumer;
    const demote = (reason: string) => {
      if (!this.leading) return;
      this.leading = false;
      this.log.warn({ reason }, 'no longer the elected schema writer');
      this.events.demoted(reason);
    };
    consumer.on(consumer.events.REBALANCING, () => demote('group rebalancing'));
    consumer.on(consumer.events.STOP, () => demote('election consumer stopped'));
    consumer.on(consumer.events.CRASH, (e) => demote(`election consumer crashed: ${String(e.payload.error)}`));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const holds = (e.payload.memberAssignment[this.topic]?.length ?? 0) > 0;
      if (holds && !this.leading) {
        this.leading = true;
        this.log.info({ group: this.groupId, memberId: e.payload.memberId }, 'elected schema writer');
        this.events.elected(Date.now());
      } else if (!holds) {
        demote('another instance holds the writer partition');
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await consumer.run({ autoCommit: true, eachBatch: async () => {} });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
    this.leading = false;
  }
}
