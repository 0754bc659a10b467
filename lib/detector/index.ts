// Featurizer + Isolation Forest + explanations + serialization: the unit that is trained
// on a baseline, travels through the model store, and scores flows in every mode.
import { createHash } from 'node:crypto';
import type { Flow } from '../flow/record.ts';
import { Featurizer, type FeaturizerName, type FitState } from '../features/index.ts';
import { DEFAULT_INTERNAL_CIDRS } from '../features/cidr.ts';
import { IsolationForest, validateParams, type IsolationForestParams } from '../iforest/forest.ts';

export type { FeaturizerName };

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

export interface Reason {
  feature: string;
  value: number;
  baseline: number | null;
  text: string;
}

/** Reasons are computed for anomalous flows only (explaining normal ones costs time and says nothing). */
export interface Verdict {
  score: number;
  anomaly: 1 | -1;
  reasons: Reason[];
}

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
  /** p99 of each feature's raw value in the baseline, for reasons. */
  p99: number[];
  nodes: number;
  trees: number;
}

export class Detector {
  private importance: Float64Array;

  private constructor(
    private readonly featurizer: Featurizer,
    private readonly forest: IsolationForest,
    readonly nSamples: number,
    private readonly p99: Float64Array,
  ) {
    this.importance = new Float64Array(forest.nFeatures);
  }

  static train(flows: readonly Flow[], opts: TrainOptions = {}): Detector {
    const given = { nEstimators: opts.nEstimators, maxSamples: opts.maxSamples, maxFeatures: opts.maxFeatures, bootstrap: opts.bootstrap, contamination: opts.contamination, seed: opts.seed };
    // Unset options keep scikit-learn's defaults.
    const params = validateParams(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<IsolationForestParams>);
    const featurizer = Featurizer.fit(opts.featurizer ?? 'behavioral', flows, opts.internalCidrs ?? DEFAULT_INTERNAL_CIDRS);
    const X = featurizer.transform(flows);
    const d = featurizer.defs.length;
    const forest = new IsolationForest(params).fit(X, d, featurizer.names);
    const raw = new Float64Array(flows.length * d);
    flows.forEach((f, r) => featurizer.raw(f, raw, r * d));
    const p99 = new Float64Array(d);
    const col = new Float64Array(flows.length);
    for (let i = 0; i < d; i++) {
      for (let r = 0; r < flows.length; r++) col[r] = raw[r * d + i]!;
      col.sort();
      p99[i] = col[Math.min(col.length - 1, Math.floor(0.99 * (col.length - 1)))]!;
    }
    return new Detector(featurizer, forest, flows.length, p99);
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

  get params(): Readonly<Record<string, unknown>> {
    return { ...this.forest.params, featurizer: this.featurizer.name, internalCidrs: this.featurizer.state.internalCidrs };
  }

  score(flows: readonly Flow[]): Verdict[] {
    if (flows.length === 0) return [];
    const X = this.featurizer.transform(flows);
    const scores = this.forest.scoreSamples(X);
    const out: Verdict[] = new Array(flows.length);
    for (let i = 0; i < flows.length; i++) {
      const score = scores[i]!;
      const anomaly = score < this.forest.offset_ ? -1 : 1;
      out[i] = { score, anomaly, reasons: anomaly === -1 ? this.explain(flows[i]!, X, i) : [] };
    }
    return out;
  }

  private explain(flow: Flow, X: Float64Array, row: number): Reason[] {
    const imp = this.forest.pathImportance(X, row, this.importance);
    const d = imp.length;
    const raw = new Float64Array(d);
    this.featurizer.raw(flow, raw);
    const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => imp[b]! - imp[a]! || a - b);
    return order.slice(0, TOP_REASONS).map((i) => {
      const def = this.featurizer.defs[i]!;
      const value = raw[i]!;
      const baseline = this.p99[i]!;
      return { feature: def.name, value, baseline, text: `${def.label} = ${fmt(value)} (baseline p99 = ${fmt(baseline)})` };
    });
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
      p99: Array.from(this.p99),
      nodes: t.feature.length,
      trees: t.roots.length,
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
    return new Detector(featurizer, forest, h.nSamples, Float64Array.from(h.p99));
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
