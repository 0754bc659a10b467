// Featurizer + Isolation Forest + explanations + serialization: the unit that is trained
// on a baseline, travels through the model store, and scores flows in every mode.
import { createHash } from 'node:crypto';
import { ReasonMemo } from './reason-memo.ts';
import type { Flow } from '../flow/record.ts';
import { Featurizer, type FeaturizerName, type FitState } from '../features/index.ts';
import { TRAINING_DEFAULTS } from '../config/stages.ts';
import { IsolationForest, validateParams, type IsolationForestParams } from '../iforest/forest.ts';
import { BaselineRange, RANGE_TOLERANCE, type Excess } from './range.ts';
import { severityOf, severityOfExcess, worse } from './severity.ts';
import type { Reason, Severity } from '../avro/records.ts';
import { HostBaseline, type Behaviour, type HostBaselineState } from './host.ts';
import { KnownConversations, type ConversationsState } from './conversations.ts';

export type { FeaturizerName };

/** Unset options take the product's defaults (trainingSettings in lib/config/stages.ts). */
export interface TrainOptions {
  featurizer?: FeaturizerName;
  nEstimators?: number;
  maxSamples?: number | 'auto';
  maxFeatures?: number;
  bootstrap?: boolean;
  contamination?: 'auto' | number;
  seed?: number;
  internalCidrs?: string[];
}

/**
 * A flow is anomalous when its score falls below the threshold or a feature lies far beyond
 * the baseline's range (range.ts). Reasons are computed for anomalous flows only
 * (explaining normal ones costs time and says nothing).
 */
export type Verdict = { score: number; anomaly: 1; severity: null; reasons: []; behaviour: null } | { score: number; anomaly: -1; severity: Severity; reasons: Reason[]; behaviour: Behaviour | null };

const MAGIC = Buffer.from('NIDSMODL');
const FORMAT_VERSION = 1;
const CHECKSUM_BYTES = 32;
const TOP_REASONS = 3;

interface Header {
  featurizer: { name: FeaturizerName; version: string; names: string[]; state: FitState };
  params: IsolationForestParams;
  offset: number;
  nSamples: number;
  maxSamples: number;
  nFeatures: number;
  /** p99, min and max of each feature's raw value in the baseline, for reasons. */
  p99: number[];
  rawMin?: number[];
  rawMax?: number[];
  /** The baseline's range of each model input; absent in models from before the range check. */
  range?: { lo: number[]; hi: number[] };
  nodes: number;
  trees: number;
  /** The host tier's baseline (lib/detector/host.ts); absent in models from before it. */
  host?: HostBaselineState;
  /** Known conversations (lib/detector/conversations.ts); absent in models from before them. */
  conversations?: ConversationsState;
}

/** The baseline's raw values per feature, quoted in reasons. */
interface RawBaseline {
  p99: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

export class Detector {
  private importance: Float64Array;
  private readonly rawScratch: Float64Array;
  private readonly picked = new Int32Array(TOP_REASONS);
  /** What `picked` was picked for: the featurized row, the out-of-range feature, how many (0: nothing yet). */
  private readonly pickedRow: Float64Array;
  private pickedOutOfRange = -1;
  private pickedCount = 0;
  private readonly excess: Excess = { feature: -1, excess: 0 };
  /** A feature's reason against its baseline p99, and (below) beyond its baseline range. */
  private readonly p99Reasons: ReasonMemo;
  private readonly rangeReasons: ReasonMemo;

  private constructor(
    private readonly featurizer: Featurizer,
    private readonly forest: IsolationForest,
    readonly nSamples: number,
    private readonly baseline: RawBaseline,
    private readonly range: BaselineRange | null,
    private readonly hosts: HostBaseline | null,
    private readonly conversations: KnownConversations | null,
  ) {
    this.importance = new Float64Array(forest.nFeatures);
    this.pickedRow = new Float64Array(forest.nFeatures);
    this.rawScratch = new Float64Array(featurizer.defs.length);
    this.p99Reasons = new ReasonMemo(featurizer.defs.length);
    this.rangeReasons = new ReasonMemo(featurizer.defs.length);
  }

  static train(flows: readonly Flow[], given: TrainOptions = {}): Detector {
    const opts = { ...TRAINING_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<Omit<TrainOptions, 'maxFeatures' | 'bootstrap'>> & TrainOptions;
    // maxFeatures and bootstrap are not settings: unset, they keep the forest's (scikit-learn's) defaults.
    const forestParams = { nEstimators: opts.nEstimators, maxSamples: opts.maxSamples, maxFeatures: opts.maxFeatures, bootstrap: opts.bootstrap, contamination: opts.contamination, seed: opts.seed };
    const params = validateParams(Object.fromEntries(Object.entries(forestParams).filter(([, v]) => v !== undefined)) as Partial<IsolationForestParams>);
    const featurizer = Featurizer.fit(opts.featurizer, flows, opts.internalCidrs);
    const X = featurizer.transform(flows);
    const d = featurizer.defs.length;
    const forest = new IsolationForest(params).fit(X, d, featurizer.names);
    const raw = new Float64Array(flows.length * d);
    flows.forEach((f, r) => featurizer.raw(f, raw, r * d));
    const baseline: RawBaseline = { p99: new Float64Array(d), min: new Float64Array(d), max: new Float64Array(d) };
    const col = new Float64Array(flows.length);
    for (let i = 0; i < d; i++) {
      for (let r = 0; r < flows.length; r++) col[r] = raw[r * d + i]!;
      col.sort();
      baseline.p99[i] = col[Math.min(col.length - 1, Math.floor(0.99 * (col.length - 1)))]!;
      baseline.min[i] = col[0]!;
      baseline.max[i] = col[col.length - 1]!;
    }
    const hosts = flows.some((f) => f.host) ? HostBaseline.fit(flows) : null;
    // The seed method is the original per-flow forest, compared as it was: no host memory.
    const conversations = opts.featurizer === 'behavioral' ? KnownConversations.fit(flows) : null;
    return new Detector(featurizer, forest, flows.length, baseline, BaselineRange.fit(X, rangeChecked(featurizer)), hosts, conversations);
  }

  get threshold(): number {
    return this.forest.offset_;
  }

  get featureVersion(): string {
    return this.featurizer.version;
  }

  get featureNames(): readonly string[] {
    return this.featurizer.names;
  }

  /** Each feature's raw min and max in the baseline it was fitted on (what `nids model diff` compares). */
  featureRanges(): { name: string; min: number; max: number }[] {
    return this.featurizer.names.map((name, i) => ({ name, min: this.baseline.min[i]!, max: this.baseline.max[i]! }));
  }

  get params(): Readonly<Record<string, unknown>> {
    return { ...this.forest.params, featurizer: this.featurizer.name, internalCidrs: this.featurizer.state.internalCidrs };
  }

  score(flows: readonly Flow[]): Verdict[] {
    if (flows.length === 0) return [];
    const X = this.featurizer.transform(flows);
    const scores = this.forest.scoreSamples(X);
    const threshold = this.forest.offset_;
    const out: Verdict[] = new Array(flows.length);
    for (let i = 0; i < flows.length; i++) {
      const score = scores[i]!;
      const beyond = this.range ? this.range.excess(X, i, this.excess) : null;
      const outOfRange = beyond !== null && beyond.excess > RANGE_TOLERANCE;
      const host = this.hosts ? this.hosts.judge(flows[i]!) : null;
      // Asked only of the few flows the forest alone flags: the key is a string.
      const known = score < threshold && !outOfRange && !host && this.conversations !== null && this.conversations.covers(flows[i]!);
      if ((score >= threshold || known) && !outOfRange && !host) {
        out[i] = { score, anomaly: 1, severity: null, reasons: [], behaviour: null };
        continue;
      }
      const fromScore = score < threshold ? severityOf(score, threshold) : null;
      const fromRange = outOfRange ? severityOfExcess(beyond.excess) : null;
      let severity = fromScore && fromRange ? worse(fromScore, fromRange) : (fromScore ?? fromRange);
      if (host) severity = severity ? worse(severity, host.severity) : host.severity;
      // The host behaviour first: it is why the flow matters, whatever the flow looks like alone.
      const reasons = this.explain(flows[i]!, X, i, outOfRange ? beyond.feature : -1);
      if (host) {
        reasons.unshift({ feature: `host.${host.behaviour}`, value: host.value, baseline: host.baseline, text: host.text });
        reasons.length = Math.min(reasons.length, TOP_REASONS);
      }
      out[i] = { score, anomaly: -1, severity: severity!, reasons, behaviour: host ? host.behaviour : null };
    }
    return out;
  }

  /** The feature beyond the baseline range first (when there is one), then those that isolated the flow soonest. */
  private explain(flow: Flow, X: Float64Array, row: number, outOfRangeFeature: number): Reason[] {
    const raw = this.rawScratch;
    this.featurizer.raw(flow, raw);
    const picked = this.picked;
    const n = this.samePickAsLast(X, row, outOfRangeFeature) ? this.pickedCount : this.pick(X, row, outOfRangeFeature);
    const reasons: Reason[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const i = picked[k]!;
      const def = this.featurizer.defs[i]!;
      const value = raw[i]!;
      if (i === outOfRangeFeature) {
        reasons[k] = this.rangeReasons.get(i, value, () => {
          const below = value < this.baseline.min[i]!;
          const baseline = below ? this.baseline.min[i]! : this.baseline.max[i]!;
          return { feature: def.name, value, baseline, text: `${def.label} = ${fmt(value)} (baseline ${below ? 'min' : 'max'} = ${fmt(baseline)})` };
        });
      } else {
        reasons[k] = this.p99Reasons.get(i, value, () => {
          const baseline = this.baseline.p99[i]!;
          return { feature: def.name, value, baseline, text: `${def.label} = ${fmt(value)} (baseline p99 = ${fmt(baseline)})` };
        });
      }
    }
    return reasons;
  }

  /**
   * The TOP_REASONS most important features (ties: lower index first) into `picked`, by
   * selection: no sort of all d features per anomalous flow (a flood makes every flow
   * anomalous). Remembers the row it picked for (samePickAsLast).
   */
  private pick(X: Float64Array, row: number, outOfRangeFeature: number): number {
    const imp = this.forest.pathImportance(X, row, this.importance);
    const d = imp.length;
    const picked = this.picked;
    let n = 0;
    if (outOfRangeFeature >= 0) picked[n++] = outOfRangeFeature;
    while (n < TOP_REASONS && n < d) {
      let best = -1;
      for (let i = 0; i < d; i++) {
        let taken = false;
        for (let k = 0; k < n; k++) taken ||= picked[k] === i;
        if (!taken && (best < 0 || imp[i]! > imp[best]!)) best = i;
      }
      picked[n++] = best;
    }
    this.pickedRow.set(X.subarray(row * d, row * d + d));
    this.pickedOutOfRange = outOfRangeFeature;
    this.pickedCount = n;
    return n;
  }

  /**
   * Whether row `row` of X is the row last picked for, feature for feature: the picked
   * features depend on nothing else, and the flows of a flood or a scan repeat one row, so
   * the two walks of every tree per anomalous flow are skipped for all but the first.
   */
  private samePickAsLast(X: Float64Array, row: number, outOfRangeFeature: number): boolean {
    if (this.pickedCount === 0 || outOfRangeFeature !== this.pickedOutOfRange) return false;
    const last = this.pickedRow;
    const base = row * last.length;
    for (let i = 0; i < last.length; i++) if (X[base + i] !== last[i]) return false;
    return true;
  }

  serialize(): Uint8Array {
    const t = this.forest.trees!;
    const header: Header = {
      featurizer: { name: this.featurizer.name, version: this.featurizer.version, names: this.featurizer.names, state: this.featurizer.state },
      params: this.forest.params,
      offset: this.forest.offset_,
      nSamples: this.nSamples,
      maxSamples: this.forest.maxSamples_,
      nFeatures: this.forest.nFeatures,
      p99: Array.from(this.baseline.p99),
      rawMin: Array.from(this.baseline.min),
      rawMax: Array.from(this.baseline.max),
      range: this.range ? { lo: Array.from(this.range.lo), hi: Array.from(this.range.hi) } : undefined,
      nodes: t.feature.length,
      trees: t.roots.length,
      host: this.hosts ? this.hosts.state : undefined,
      conversations: this.conversations ? this.conversations.state : undefined,
    };
    const json = Buffer.from(JSON.stringify(header));
    const arrays = [t.feature, t.threshold, t.left, t.right, t.value, t.roots].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    const fixed = Buffer.alloc(MAGIC.length + 2 + 4);
    MAGIC.copy(fixed, 0);
    fixed.writeUInt16LE(FORMAT_VERSION, MAGIC.length);
    fixed.writeUInt32LE(json.length, MAGIC.length + 2);
    const body = Buffer.concat([fixed, json, ...arrays]);
    return new Uint8Array(Buffer.concat([body, createHash('sha256').update(body).digest()]));
  }

  static deserialize(bytes: Uint8Array): Detector {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < MAGIC.length + 6 + CHECKSUM_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a nids model (bad magic)');
    const version = buf.readUInt16LE(MAGIC.length);
    if (version !== FORMAT_VERSION) throw new Error(`model format version ${version} is not supported (this nids reads ${FORMAT_VERSION})`);
    const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
    if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - CHECKSUM_BYTES))) throw new Error('model checksum mismatch: the blob is corrupted');
    const jsonLen = buf.readUInt32LE(MAGIC.length + 2);
    let pos = MAGIC.length + 6;
    const h = JSON.parse(buf.subarray(pos, pos + jsonLen).toString('utf8')) as Header;
    pos += jsonLen;
    const take = <T extends Int32Array | Float64Array>(Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, n: number): T => {
      const out = new Ctor(n);
      Buffer.from(out.buffer).set(buf.subarray(pos, pos + n * Ctor.BYTES_PER_ELEMENT));
      pos += n * Ctor.BYTES_PER_ELEMENT;
      return out;
    };
    const trees = {
      feature: take(Int32Array, h.nodes),
      threshold: take(Float64Array, h.nodes),
      left: take(Int32Array, h.nodes),
      right: take(Int32Array, h.nodes),
      value: take(Float64Array, h.nodes),
      roots: take(Int32Array, h.trees),
    };
    if (pos !== body.length) throw new Error('model layout mismatch: the blob is corrupted');
    const featurizer = Featurizer.restore(h.featurizer.name, h.featurizer.version, h.featurizer.state);
    const forest = new IsolationForest(h.params);
    forest.nFeatures = h.nFeatures;
    forest.maxSamples_ = h.maxSamples;
    forest.offset_ = h.offset;
    forest.trees = trees;
    const baseline: RawBaseline = { p99: Float64Array.from(h.p99), min: Float64Array.from(h.rawMin ?? h.p99), max: Float64Array.from(h.rawMax ?? h.p99) };
    return new Detector(featurizer, forest, h.nSamples, baseline, h.range ? BaselineRange.restore(h.range.lo, h.range.hi, rangeChecked(featurizer)) : null, h.host ? HostBaseline.restore(h.host) : null, h.conversations ? KnownConversations.restore(h.conversations) : null);
  }
}

const rangeChecked = (f: Featurizer): boolean[] => f.defs.map((d) => !d.sourceContext);

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
