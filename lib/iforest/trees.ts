// The fitted forest as flat arrays: what fitting produces (forest.ts), what the scoring
// layout is built from (layout.ts) and what a model blob stores (lib/detector).

/** The fitted trees: node arrays shared by all trees, `roots[t]` the first node of tree t. */
export interface Trees {
  feature: Int32Array; // -1 at a leaf
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaves: depth + c(samples in leaf), the path length a sample ending there gets. */
  value: Float64Array;
  roots: Int32Array;
}
