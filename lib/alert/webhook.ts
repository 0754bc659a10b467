// Webhook alerting: alerts at or above a severity are POSTed to one URL, without ever
// holding up the caller (the sink). offer() only decides and enqueues: below the
// severity, a duplicate of the same (kind, source, behaviour) within the window, over the
// rate limit, or a full queue means the alert is dropped and counted. One sender drains
// the queue, one request at a time, retrying network errors, timeouts, 5xx and 429 with
// exponential back-off; an alert that still fails is counted and given up.
import { severityRank } from '../avro/records.ts';
import type { AlertSettings } from '../config/stages.ts';
import { Counter, Gauge, type Registry } from '../metrics/index.ts';
import type { Logger } from '../log/index.ts';
import { webhookBody, type Alert } from './message.ts';

export type DropReason = 'below_severity' | 'duplicate' | 'rate_limited' | 'queue_full' | 'stopped';

export interface WebhookOptions extends AlertSettings {
  webhookUrl: string;
}

export class WebhookAlerter {
  private readonly queue: Alert[] = [];
  /** (kind, source, behaviour) -> when an alert of it was last accepted (ms). */
  private readonly lastAccepted = new Map<string, number>();
  /** Acceptance times within the last minute (ms), oldest first: the rate limit. */
  private readonly recent: number[] = [];
  private suppressed = 0;
  private sending: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private closed = false;
  readonly sent: Counter;
  readonly failed: Counter;
  readonly retries: Counter;
  readonly dropped: Counter<'reason'>;
  private readonly depth: Gauge;

  constructor(
    private readonly opts: WebhookOptions,
    registry: Registry,
    private readonly log?: Logger,
    /** Milliseconds now (tests move time by hand). */
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    this.sent = new Counter({ name: 'nids_alerts_sent_total', help: 'Alerts the webhook accepted (2xx)', registers });
    this.failed = new Counter({ name: 'nids_alerts_failed_total', help: 'Alerts given up after every retry failed', registers });
    this.retries = new Counter({ name: 'nids_alert_retries_total', help: 'POSTs retried (network error, timeout, 5xx, 429)', registers });
    this.dropped = new Counter({ name: 'nids_alerts_dropped_total', help: 'Alerts not sent, by reason', labelNames: ['reason'], registers });
    this.depth = new Gauge({ name: 'nids_alert_queue_depth', help: 'Alerts waiting to be sent', registers });
  }

  /** Decides about one alert and returns at once; true when it was queued. */
  offer(alert: Alert): boolean {
    const reason = this.admit(alert);
    if (reason) {
      if (reason !== 'below_severity') this.suppressed++;
      this.dropped.inc({ reason });
      return false;
    }
    this.queue.push(alert);
    this.depth.set(this.queue.length);
    this.sending ??= this.drain().finally(() => (this.sending = null));
    return true;
  }

  private admit(alert: Alert): DropReason | null {
    if (this.closed) return 'stopped';
    if (severityRank(alert.severity) < severityRank(this.opts.alertSeverity)) return 'below_severity';
    const t = this.now();
    const key = `${alert.kind}|${alert.source}|${alert.behaviour}`;
    const last = this.lastAccepted.get(key);
    if (last !== undefined && t - last < this.opts.alertDedupeS * 1000) return 'duplicate';
    while (this.recent.length > 0 && this.recent[0]! <= t - 60_000) this.recent.shift();
    if (this.recent.length >= this.opts.alertRatePerMin) return 'rate_limited';
    if (this.queue.length >= this.opts.alertQueue) return 'queue_full';
    this.lastAccepted.set(key, t);
    this.recent.push(t);
    if (this.lastAccepted.size > 10 * this.opts.alertQueue) this.forgetOld(t);
    return null;
  }

  /** Keeps the dedupe map bounded: entries older than the window say nothing any more. */
  private forgetOld(t: number): void {
    for (const [key, at] of this.lastAccepted) if (t - at >= this.opts.alertDedupeS * 1000) this.lastAccepted.delete(key);
  }

  private async drain(): Promise<void> {
    for (let alert = this.queue.shift(); alert; alert = this.queue.shift()) {
      this.depth.set(this.queue.length);
      const suppressed = this.suppressed;
      this.suppressed = 0;
      if (await this.deliver(JSON.stringify(webhookBody(alert, this.opts.webhookFormat, suppressed)))) this.sent.inc();
      else this.failed.inc();
      if (this.abort.signal.aborted) break;
    }
    this.depth.set(this.queue.length);
  }

  private async deliver(body: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.post(body);
      if (outcome === 'ok') return true;
      if (outcome === 'final' || attempt >= this.opts.alertRetries || this.abort.signal.aborted) return false;
      this.retries.inc();
      await sleep(this.opts.alertBackoffMs * 2 ** attempt, this.abort.signal);
    }
  }

  private async post(body: string): Promise<'ok' | 'retry' | 'final'> {
    try {
      const res = await fetch(this.opts.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.alertTimeoutMs)]),
      });
      await res.body?.cancel();
      if (res.ok) return 'ok';
      this.log?.warn({ status: res.status }, 'webhook refused an alert');
      return res.status === 429 || res.status >= 500 ? 'retry' : 'final';
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'webhook unreachable');
      return 'retry';
    }
  }

  /**
   * Stops accepting; waits up to `graceMs` for the queue to be sent, then abandons the rest
   * (counted as failed).
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    if (this.sending) {
      const timer = setTimeout(() => this.abort.abort(), graceMs);
      await this.sending;
      clearTimeout(timer);
    }
    if (this.queue.length > 0) {
      this.failed.inc(this.queue.length);
      this.queue.length = 0;
      this.depth.set(0);
    }
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
