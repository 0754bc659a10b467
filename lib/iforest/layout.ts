// The scoring layout: every tree re-laid as a perfect binary tree of the forest's depth in
// heap order (children of i at 2i+1, 2i+2), and every threshold replaced by its rank among
// the forest's thresholds on that feature. A row is first turned into ranks (a bucket
// lookup per feature); then `x <= threshold` is `rank(x) <= rank(threshold)`, and a walk is
// exactly `depth` steps of integer arithmetic, `i = 2i + 1 + (rank(x) > rank(threshold))`:
// no leaf test, no child pointers, no branch the CPU has to guess (a guessed split
// direction is wrong half of the time, and that was most of the scoring time). A node is 8
// bytes: where its feature's ranks start in the block of ranked rows (so a step reads the
// rank without multiplying), and its threshold's rank.
//
// A leaf above the bottom becomes a chain of pass-through nodes (always left) ending at a
// bottom slot that holds its path length. Isolation trees are shallow (depth
// ceil(log2(max_samples)), 8 for the default 256), so the padding is small: 100 trees of
// depth 8 take 100 * (255 * 8 + 256 * 8) bytes, about 400 KB. Ranking and walking run in
// WebAssembly (walk.wat); the layout's arrays live in the memory of its own instance.
import { readFileSync } from 'node:fs';
import type { Trees } from './trees.ts';

export interface ScoringLayout {
  depth: number;
  nTrees: number;
  nFeatures: number;
  /** Per tree, 2^depth - 1 internal nodes, each two i32: the byte offset of its feature's ranks in `ranks` (f * BLOCK_ROWS * 4), its threshold's rank. */
  nodes: Int32Array;
  /** Per tree, 2^depth bottom slots: depth + c(leaf size) of the leaf that reaches it. */
  pathLength: Float64Array;
  /** The block of rows being scored, their ranks and path lengths: reused, so a batch allocates nothing. */
  xBlock: Float64Array;
  /** Feature-major: feature f of the block's row i at f * BLOCK_ROWS + i. */
  ranks: Int32Array;
  blockOut: Float64Array;
  walk: WalkKernel;
  /** Ranks the first `rows` rows of xBlock into ranks (walk.wat's rankRows over the Ranker's arrays). */
  rankBlock: (rows: number) => void;
}

/** walk.wasm's exports; arguments are byte offsets into the instance's memory. */
type WalkKernel = (nodes: number, paths: number, ranks: number, out: number, rows: number, trees: number, depth: number) => void;
type RankKernel = (X: number, rows: number, d: number, out: number, stride: number, cuts: number, cutStart: number, buckets: number, bucketStart: number, lo: number, scale: number) => void;

let walkModule: WebAssembly.Module | null = null;

/** A walk kernel over a fresh memory of `bytes`. The module is compiled once per process. */
function instantiateWalk(bytes: number): { memory: WebAssembly.Memory; walk: WalkKernel; rank: RankKernel } {
  walkModule ??= new WebAssembly.Module(readFileSync(new URL('./walk.wasm', import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const instance = new WebAssembly.Instance(walkModule, { env: { memory } });
  return { memory, walk: instance.exports.addPathLengths as WalkKernel, rank: instance.exports.rankRows as RankKernel };
}

/** Deeper forests (max_samples far above 256) would pad to too much memory: walk them as they are. */
const MAX_LAYOUT_DEPTH = 12;
/** Rank of NaN: above every node's rank, so NaN goes right, as `NaN <= t` is false. */
const NAN_RANK = 0x7fffffff;
/** The threshold rank of a pass-through node: above every value's rank (at most the number of cuts) but NaN's, so the walk goes left. */
const ALWAYS_LEFT = NAN_RANK - 1;
/** Rows scored together per pass over the trees: their ranks stay in L1 while every tree walks them. */
const BLOCK_ROWS = 256;

function treeDepth(trees: Trees): number {
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
  // At least one level: the walk takes its first step at the root without testing for a leaf
  // (a forest of single-leaf trees gets a pass-through root).
  const depth = Math.max(1, treeDepth(trees));
  if (depth > MAX_LAYOUT_DEPTH) return null;
  const ranker = new Ranker(trees, nFeatures);
  const nTrees = trees.roots.length;
  const nInternal = (1 << depth) - 1;
  // One memory, every region 8-byte aligned: nodes, path lengths, a block of rows, their
  // ranks and outputs, and the Ranker's arrays.
  const tables = { cuts: ranker.cuts, cutStart: ranker.cutStart, buckets: ranker.buckets, bucketStart: ranker.bucketStart, lo: ranker.lo, scale: ranker.scale };
  const sizes = {
    nodes: nTrees * nInternal * 8,
    paths: nTrees * (nInternal + 1) * 8,
    x: BLOCK_ROWS * nFeatures * 8,
    ranks: BLOCK_ROWS * nFeatures * 4,
    out: BLOCK_ROWS * 8,
    ...Object.fromEntries(Object.entries(tables).map(([name, a]) => [name, a.byteLength])),
  } as Record<'nodes' | 'paths' | 'x' | 'ranks' | 'out' | keyof typeof tables, number>;
  const at = {} as Record<keyof typeof sizes, number>;
  let end = 0;
  for (const [name, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
    at[name] = end;
    end += Math.ceil(size / 8) * 8;
  }
  const { memory, walk, rank } = instantiateWalk(end);
  for (const [name, a] of Object.entries(tables) as [keyof typeof tables, Float64Array | Int32Array][]) {
    new Uint8Array(memory.buffer, at[name], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  const layout: ScoringLayout = {
    depth,
    nTrees,
    nFeatures,
    nodes: new Int32Array(memory.buffer, at.nodes, nTrees * nInternal * 2),
    pathLength: new Float64Array(memory.buffer, at.paths, nTrees * (nInternal + 1)),
    xBlock: new Float64Array(memory.buffer, at.x, BLOCK_ROWS * nFeatures),
    ranks: new Int32Array(memory.buffer, at.ranks, BLOCK_ROWS * nFeatures),
    blockOut: new Float64Array(memory.buffer, at.out, BLOCK_ROWS),
    walk,
    rankBlock: (rows) => rank(at.x, rows, nFeatures, at.ranks, BLOCK_ROWS, at.cuts, at.cutStart, at.buckets, at.bucketStart, at.lo, at.scale),
  };
  const place = (t: number, node: number, slot: number, level: number): void => {
    if (level === depth) {
      layout.pathLength[t * (nInternal + 1) + slot - nInternal] = trees.value[node]!;
      return;
    }
    const f = trees.feature[node]!;
    const isLeaf = f < 0;
    const at = 2 * (t * nInternal + slot);
    layout.nodes[at] = isLeaf ? 0 : f * BLOCK_ROWS * 4;
    layout.nodes[at + 1] = isLeaf ? ALWAYS_LEFT : ranker.rank(f, trees.threshold[node]!);
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
  /** Every feature's cuts, ascending, one feature after another: feature f's are [cutStart[f], cutStart[f+1]). */
  readonly cuts: Float64Array;
  readonly cutStart: Int32Array;
  /** Per feature, its bucket index: the first rank in each bucket, at [bucketStart[f], ...). */
  readonly buckets: Int32Array;
  readonly bucketStart: Int32Array;
  readonly lo: Float64Array;
  readonly scale: Float64Array;

  constructor(trees: Trees, nFeatures: number) {
    const lists: number[][] = Array.from({ length: nFeatures }, () => []);
    for (let node = 0; node < trees.feature.length; node++) {
      const f = trees.feature[node]!;
      if (f >= 0) lists[f]!.push(trees.threshold[node]!);
    }
    const perFeature = lists.map((l) => Float64Array.from(new Set(l)).sort());
    this.cutStart = new Int32Array(nFeatures + 1);
    perFeature.forEach((c, f) => (this.cutStart[f + 1] = this.cutStart[f]! + c.length));
    this.cuts = new Float64Array(this.cutStart[nFeatures]!);
    perFeature.forEach((c, f) => this.cuts.set(c, this.cutStart[f]!));
    // Four buckets per cut on average: most buckets then hold at most one cut.
    this.bucketStart = new Int32Array(nFeatures + 1);
    perFeature.forEach((c, f) => (this.bucketStart[f + 1] = this.bucketStart[f]! + (c.length < 2 ? 1 : 4 * c.length + 1)));
    this.buckets = new Int32Array(this.bucketStart[nFeatures]!);
    this.lo = new Float64Array(nFeatures);
    this.scale = new Float64Array(nFeatures);
    perFeature.forEach((c, f) => {
      if (c.length < 2) return;
      const nb = 4 * c.length;
      const lo = c[0]!;
      const width = c[c.length - 1]! - lo;
      this.lo[f] = lo;
      this.scale[f] = nb / width;
      let r = 0;
      for (let b = 0; b <= nb; b++) {
        const edge = lo + (b * width) / nb;
        while (r < c.length && c[r]! < edge) r++;
        // At most the last cut's index: a value reaching the buckets is <= the last cut, so
        // its rank is too, and walk.wat's unchecked steps up never read past the feature's cuts.
        this.buckets[this.bucketStart[f]! + b] = Math.min(r, c.length - 1);
      }
    });
  }

  /** One value's rank (building the layout); walk.wat's rankRows does the same for a block of rows. */
  rank(f: number, x: number): number {
    if (x !== x) return NAN_RANK;
    const c = this.cuts;
    const base = this.cutStart[f]!;
    const n = this.cutStart[f + 1]! - base;
    if (n === 0 || x <= c[base]!) return 0;
    if (x > c[base + n - 1]!) return n;
    // The bucket's first rank, then corrected by the few cuts between its edge and x
    // (in either direction, so rounding at a bucket edge cannot give a wrong rank).
    let r = this.buckets[this.bucketStart[f]! + Math.floor((x - this.lo[f]!) * this.scale[f]!)]!;
    while (r < n && c[base + r]! < x) r++;
    while (r > 0 && c[base + r - 1]! >= x) r--;
    return r;
  }
}
/** Adds each row's total path length over all trees to `out[row]`. */
export function addPathLengths(layout: ScoringLayout, X: Float64Array, n: number, out: Float64Array): void {
  const { depth, nTrees, nFeatures: d, nodes, pathLength, xBlock, ranks, blockOut, walk, rankBlock } = layout;
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const rows = Math.min(n, start + BLOCK_ROWS) - start;
    const from = start * d;
    xBlock.set(X.subarray(from, from + rows * d));
    rankBlock(rows);
    blockOut.fill(0, 0, rows);
    walk(nodes.byteOffset, pathLength.byteOffset, ranks.byteOffset, blockOut.byteOffset, rows, nTrees, depth);
    for (let i = 0; i < rows; i++) out[start + i]! += blockOut[i]!;
  }
}
