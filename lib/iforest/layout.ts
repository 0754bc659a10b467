// The scoring layout: every tree re-laid as a perfect binary tree of the forest's depth in
// heap order (children of i at 2i+1, 2i+2), and every threshold replaced by its rank among
// the forest's thresholds on that feature. A row is first turned into ranks (one binary
// search per feature); then `x <= threshold` is `rank(x) <= rank(threshold)`, and a walk
// is exactly `depth` steps of integer arithmetic, `i = 2i + 1 + sign(rank(t) - rank(x))`:
// no leaf test, no child pointers, no branch the CPU has to guess (a guessed split
// direction is wrong half of the time, and that was most of the scoring time).
//
// A leaf above the bottom becomes a chain of pass-through nodes (always left) ending at a
// bottom slot that holds its path length. Isolation trees are shallow (depth
// ceil(log2(max_samples)), 8 for the default 256), so the padding is small: 100 trees of
// depth 8 take 100 * (255 * 8 + 256 * 8) bytes, about 400 KB.
import type { Trees } from './forest.ts';

export interface ScoringLayout {
  depth: number;
  nTrees: number;
  nFeatures: number;
  /** Bits of a packed node that hold its feature; the rest hold its threshold's rank. */
  featureBits: number;
  /** Per tree, 2^depth - 1 internal nodes, each (threshold rank << featureBits) | feature. */
  nodes: Int32Array;
  /** Per tree, 2^depth bottom slots: depth + c(leaf size) of the leaf that reaches it. */
  pathLength: Float64Array;
  ranker: Ranker;
  /** Ranks of the rows being scored: reused, so a batch allocates nothing. */
  ranks: Int32Array;
}

/** Deeper forests (max_samples far above 256) would pad to too much memory: walk them as they are. */
export const MAX_LAYOUT_DEPTH = 12;
/** Rank of NaN: above every node's rank, so NaN goes right, as `NaN <= t` is false. */
const NAN_RANK = 0x7fffffff;
/** Rows scored together per pass over the trees: their ranks stay in L1 while every tree walks them. */
const BLOCK_ROWS = 256;

export function treeDepth(trees: Trees): number {
  let deepest = 0;
  const stack: number[] = [];
  for (let t = 0; t < trees.roots.length; t++) {
    stack.push(trees.roots[t]!, 0);
    while (stack.length) {
      const depth = stack.pop()!;
      const node = stack.pop()!;
      if (trees.feature[node]! < 0) deepest = Math.max(deepest, depth);
      else stack.push(trees.left[node]!, depth + 1, trees.right[node]!, depth + 1);
    }
  }
  return deepest;
}

/** The layout, or null when the forest does not fit it (then score by walking the trees). */
export function buildLayout(trees: Trees, nFeatures: number): ScoringLayout | null {
  const depth = treeDepth(trees);
  if (depth > MAX_LAYOUT_DEPTH) return null;
  const featureBits = Math.max(1, Math.ceil(Math.log2(nFeatures)));
  // The pass-through rank: above every row's rank (at most the number of cuts), so the walk goes left.
  const alwaysLeft = 2 ** (31 - featureBits) - 1;
  const ranker = new Ranker(trees, nFeatures);
  if (ranker.maxRank() >= alwaysLeft) return null;
  const nTrees = trees.roots.length;
  const nInternal = (1 << depth) - 1;
  const layout: ScoringLayout = {
    depth,
    nTrees,
    nFeatures,
    featureBits,
    nodes: new Int32Array(nTrees * nInternal),
    pathLength: new Float64Array(nTrees * (nInternal + 1)),
    ranker,
    ranks: new Int32Array(BLOCK_ROWS * nFeatures),
  };
  const place = (t: number, node: number, slot: number, level: number): void => {
    if (level === depth) {
      layout.pathLength[t * (nInternal + 1) + slot - nInternal] = trees.value[node]!;
      return;
    }
    const f = trees.feature[node]!;
    const isLeaf = f < 0;
    layout.nodes[t * nInternal + slot] = isLeaf ? alwaysLeft << featureBits : (ranker.rank(f, trees.threshold[node]!) << featureBits) | f;
    // A leaf's right branch is taken only by NaN, as at a real split; it holds the same leaf.
    place(t, isLeaf ? node : trees.left[node]!, 2 * slot + 1, level + 1);
    place(t, isLeaf ? node : trees.right[node]!, 2 * slot + 2, level + 1);
  };
  for (let t = 0; t < nTrees; t++) place(t, trees.roots[t]!, 0, 0);
  return layout;
}

/**
 * Per feature, the distinct thresholds of the forest's splits on it, ascending, and a
 * rank for any value: how many thresholds are below it, so x <= cuts[j] exactly when
 * rank(x) <= j. A uniform bucket index over each feature's range makes a rank a lookup
 * and a step or two, instead of a binary search whose every step the CPU mispredicts.
 */
export class Ranker {
  private readonly cuts: Float64Array[];
  private readonly lo: Float64Array;
  private readonly scale: Float64Array;
  private readonly bucketStart: Int32Array[];

  constructor(trees: Trees, nFeatures: number) {
    const lists: number[][] = Array.from({ length: nFeatures }, () => []);
    for (let node = 0; node < trees.feature.length; node++) {
      const f = trees.feature[node]!;
      if (f >= 0) lists[f]!.push(trees.threshold[node]!);
    }
    this.cuts = lists.map((l) => Float64Array.from(new Set(l)).sort());
    this.lo = new Float64Array(nFeatures);
    this.scale = new Float64Array(nFeatures);
    this.bucketStart = this.cuts.map((c, f) => {
      if (c.length < 2) return new Int32Array(1);
      const buckets = 4 * c.length;
      const lo = c[0]!;
      const width = c[c.length - 1]! - lo;
      this.lo[f] = lo;
      this.scale[f] = buckets / width;
      const start = new Int32Array(buckets + 1);
      let r = 0;
      for (let b = 0; b <= buckets; b++) {
        const edge = lo + (b * width) / buckets;
        while (r < c.length && c[r]! < edge) r++;
        start[b] = r;
      }
      return start;
    });
  }

  maxRank(): number {
    return Math.max(0, ...this.cuts.map((c) => c.length));
  }

  rank(f: number, x: number): number {
    if (x !== x) return NAN_RANK;
    const c = this.cuts[f]!;
    const n = c.length;
    if (n === 0 || x <= c[0]!) return 0;
    if (x > c[n - 1]!) return n;
    // The bucket's first rank, then corrected by the few cuts between its edge and x
    // (in either direction, so rounding at a bucket edge cannot give a wrong rank).
    let r = this.bucketStart[f]![Math.floor((x - this.lo[f]!) * this.scale[f]!)]!;
    while (r < n && c[r]! < x) r++;
    while (r > 0 && c[r - 1]! >= x) r--;
    return r;
  }
}
/**
 * Adds each row's total path length over all trees to `out[row]`. Eight rows walk a tree
 * side by side so their independent load chains overlap.
 */
export function addPathLengths(layout: ScoringLayout, X: Float64Array, n: number, out: Float64Array): void {
  const { depth, nTrees, nFeatures: d, featureBits, nodes, pathLength, ranker, ranks: R } = layout;
  const nInternal = (1 << depth) - 1;
  const mask = (1 << featureBits) - 1;
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const end = Math.min(n, start + BLOCK_ROWS);
    const rows = end - start;
    for (let i = 0; i < rows; i++) for (let f = 0; f < d; f++) R[i * d + f] = ranker.rank(f, X[(start + i) * d + f]!);
    const rowsInLanes = rows & ~7;
    for (let t = 0; t < nTrees; t++) {
      const fo = t * nInternal;
      const lo = t * (nInternal + 1) - nInternal;
      let i = 0;
      for (; i < rowsInLanes; i += 8) {
        const b0 = i * d;
        const b1 = b0 + d;
        const b2 = b1 + d;
        const b3 = b2 + d;
        const b4 = b3 + d;
        const b5 = b4 + d;
        const b6 = b5 + d;
        const b7 = b6 + d;
        let h0 = 0;
        let h1 = 0;
        let h2 = 0;
        let h3 = 0;
        let h4 = 0;
        let h5 = 0;
        let h6 = 0;
        let h7 = 0;
        for (let k = 0; k < depth; k++) {
          const p0 = nodes[fo + h0]!;
          h0 = 2 * h0 + 1 + (((p0 >>> featureBits) - R[b0 + (p0 & mask)]!) >>> 31);
          const p1 = nodes[fo + h1]!;
          h1 = 2 * h1 + 1 + (((p1 >>> featureBits) - R[b1 + (p1 & mask)]!) >>> 31);
          const p2 = nodes[fo + h2]!;
          h2 = 2 * h2 + 1 + (((p2 >>> featureBits) - R[b2 + (p2 & mask)]!) >>> 31);
          const p3 = nodes[fo + h3]!;
          h3 = 2 * h3 + 1 + (((p3 >>> featureBits) - R[b3 + (p3 & mask)]!) >>> 31);
          const p4 = nodes[fo + h4]!;
          h4 = 2 * h4 + 1 + (((p4 >>> featureBits) - R[b4 + (p4 & mask)]!) >>> 31);
          const p5 = nodes[fo + h5]!;
          h5 = 2 * h5 + 1 + (((p5 >>> featureBits) - R[b5 + (p5 & mask)]!) >>> 31);
          const p6 = nodes[fo + h6]!;
          h6 = 2 * h6 + 1 + (((p6 >>> featureBits) - R[b6 + (p6 & mask)]!) >>> 31);
          const p7 = nodes[fo + h7]!;
          h7 = 2 * h7 + 1 + (((p7 >>> featureBits) - R[b7 + (p7 & mask)]!) >>> 31);
        }
        out[start + i]! += pathLength[lo + h0]!;
        out[start + i + 1]! += pathLength[lo + h1]!;
        out[start + i + 2]! += pathLength[lo + h2]!;
        out[start + i + 3]! += pathLength[lo + h3]!;
        out[start + i + 4]! += pathLength[lo + h4]!;
        out[start + i + 5]! += pathLength[lo + h5]!;
        out[start + i + 6]! += pathLength[lo + h6]!;
        out[start + i + 7]! += pathLength[lo + h7]!;
      }
      for (; i < rows; i++) {
        const b = i * d;
        let h = 0;
        for (let k = 0; k < depth; k++) {
          const p = nodes[fo + h]!;
          h = 2 * h + 1 + (((p >>> featureBits) - R[b + (p & mask)]!) >>> 31);
        }
        out[start + i]! += pathLength[lo + h]!;
      }
    }
  }
}
