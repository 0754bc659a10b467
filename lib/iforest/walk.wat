;; The scoring layout's kernels (layout.ts): ranking a block of rows and walking the trees,
;; compiled to walk.wasm by `npm run build:wasm`. Why WebAssembly: a step is a few integer
;; operations and three loads, and in JavaScript every typed-array load also pays a bounds
;; check and a deoptimization guard; here it is the plain instructions, about twice as fast.
;;
;; Memory (imported, laid out by layout.ts), all little-endian:
;;   nodes  per tree, 2^depth - 1 internal nodes of 8 bytes in heap order:
;;          i32 byte offset of the node's feature in the ranks block (f * stride * 4),
;;          i32 rank of its threshold
;;   paths  f64[trees * 2^depth]          path length of each bottom slot
;;   ranks  i32[d * stride]               the block's feature ranks, feature-major (see rankRows)
;;   out    f64[rows]                     path lengths are added here
;;   rankRows also reads the block's rows (f64[rows * d]) and the Ranker's arrays.
(module
  (memory (import "env" "memory") 1)

  ;; For each tree, each row walks `depth` (>= 1) steps, i = 2i + 1 + (rank(x) > rank(threshold)),
  ;; and adds its bottom slot's path length to out[row]. Positions are kept as byte offsets
  ;; (h = 8i), so a node is read without scaling. Eight rows walk side by side: each step is
  ;; a chain of three dependent loads, and eight independent chains keep the core busy while
  ;; each waits. The eight rows' ranks of one feature are adjacent (feature-major ranks), so
  ;; lane k reads at a constant offset 4k from one base: no per-lane row pointer to keep in a
  ;; register. Trees are walked in order, so each row's sum is added in the same order as a
  ;; plain walk's (bit-identical scores).
  (func (export "addPathLengths")
    (param $nodes i32) (param $paths i32) (param $ranks i32) (param $out i32)
    (param $rows i32) (param $trees i32) (param $depth i32)
    (local $nInternal i32) (local $rows8 i32)
    (local $t i32) (local $fo i32) (local $po i32) (local $i i32) (local $k i32) (local $a i32) (local $o i32) (local $rb i32) (local $rootF i32) (local $rootT i32)
    (local $h0 i32) (local $h1 i32) (local $h2 i32) (local $h3 i32) (local $h4 i32) (local $h5 i32) (local $h6 i32) (local $h7 i32)
    (local.set $nInternal (i32.sub (i32.shl (i32.const 1) (local.get $depth)) (i32.const 1)))
    (local.set $rows8 (i32.and (local.get $rows) (i32.const -8)))
    (local.set $t (i32.const 0))
    (block $treesDone
      (loop $trees
        (br_if $treesDone (i32.ge_u (local.get $t) (local.get $trees)))
        ;; This tree's nodes, and its bottom slots shifted so that the slot reached at h = 8i is at $po + h.
        (local.set $fo (i32.add (local.get $nodes) (i32.shl (i32.mul (local.get $t) (local.get $nInternal)) (i32.const 3))))
        (local.set $po
          (i32.sub
            (i32.add (local.get $paths) (i32.shl (i32.mul (local.get $t) (i32.add (local.get $nInternal) (i32.const 1))) (i32.const 3)))
            (i32.shl (local.get $nInternal) (i32.const 3))))
        ;; Every row starts at the root: its two fields are read once per tree, and the first
        ;; step of each row costs one load.
        (local.set $rootF (i32.load (local.get $fo)))
        (local.set $rootT (i32.load offset=4 (local.get $fo)))
        (local.set $i (i32.const 0))
        ;; Eight rows at a time.
        (block $eightDone
          (loop $eight
            (br_if $eightDone (i32.ge_u (local.get $i) (local.get $rows8)))
            (local.set $rb (i32.add (local.get $ranks) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $h0 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h1 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=4 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h2 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=8 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h3 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=12 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h4 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=16 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h5 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=20 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h6 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=24 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $h7 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load offset=28 (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $k (i32.sub (local.get $depth) (i32.const 1)))
            (block $stepsDone
              (loop $steps
                (br_if $stepsDone (i32.eqz (local.get $k)))
                (local.set $a (i32.add (local.get $fo) (local.get $h0)))
                (local.set $h0 (i32.add (i32.add (i32.shl (local.get $h0) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h1)))
                (local.set $h1 (i32.add (i32.add (i32.shl (local.get $h1) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=4 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h2)))
                (local.set $h2 (i32.add (i32.add (i32.shl (local.get $h2) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=8 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h3)))
                (local.set $h3 (i32.add (i32.add (i32.shl (local.get $h3) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=12 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h4)))
                (local.set $h4 (i32.add (i32.add (i32.shl (local.get $h4) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=16 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h5)))
                (local.set $h5 (i32.add (i32.add (i32.shl (local.get $h5) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=20 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h6)))
                (local.set $h6 (i32.add (i32.add (i32.shl (local.get $h6) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=24 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $a (i32.add (local.get $fo) (local.get $h7)))
                (local.set $h7 (i32.add (i32.add (i32.shl (local.get $h7) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load offset=28 (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $steps)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store offset=0 (local.get $o) (f64.add (f64.load offset=0 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h0)))))
            (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h1)))))
            (f64.store offset=16 (local.get $o) (f64.add (f64.load offset=16 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h2)))))
            (f64.store offset=24 (local.get $o) (f64.add (f64.load offset=24 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h3)))))
            (f64.store offset=32 (local.get $o) (f64.add (f64.load offset=32 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h4)))))
            (f64.store offset=40 (local.get $o) (f64.add (f64.load offset=40 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h5)))))
            (f64.store offset=48 (local.get $o) (f64.add (f64.load offset=48 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h6)))))
            (f64.store offset=56 (local.get $o) (f64.add (f64.load offset=56 (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h7)))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $eight)))
        ;; The last rows, one at a time.
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $rb (i32.add (local.get $ranks) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $h0 (i32.add (i32.const 8) (i32.shl (i32.gt_s (i32.load (i32.add (local.get $rb) (local.get $rootF))) (local.get $rootT)) (i32.const 3))))
            (local.set $k (i32.sub (local.get $depth) (i32.const 1)))
            (block $stepDone
              (loop $step
                (br_if $stepDone (i32.eqz (local.get $k)))
                (local.set $a (i32.add (local.get $fo) (local.get $h0)))
                (local.set $h0 (i32.add (i32.add (i32.shl (local.get $h0) (i32.const 1)) (i32.const 8))
                  (i32.shl (i32.gt_s (i32.load (i32.add (local.get $rb) (i32.load (local.get $a)))) (i32.load offset=4 (local.get $a))) (i32.const 3))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $step)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.load (i32.add (local.get $po) (local.get $h0)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $one)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $trees))))
  ;; Ranks of a block of rows (Ranker in layout.ts, which documents the arrays): for each
  ;; feature and row, how many of the feature's cuts lie below the value, found from the
  ;; value's bucket and a step or two; NaN ranks above everything (0x7fffffff). Written
  ;; feature-major (feature f of row i at out + 4 * (f * stride + i)), the order the walk reads.
  (func (export "rankRows")
    (param $X i32) (param $rows i32) (param $d i32) (param $out i32) (param $stride i32)
    (param $cuts i32) (param $cutStart i32) (param $buckets i32) (param $bucketStart i32) (param $lo i32) (param $scale i32)
    (local $f i32) (local $i i32) (local $base i32) (local $n i32) (local $b0 i32) (local $r i32) (local $at i32)
    (local $x f64) (local $first f64) (local $last f64) (local $lof f64) (local $sc f64)
    (local.set $f (i32.const 0))
    (block $featuresDone
      (loop $features
        (br_if $featuresDone (i32.ge_u (local.get $f) (local.get $d)))
        (local.set $base (i32.load (i32.add (local.get $cutStart) (i32.shl (local.get $f) (i32.const 2)))))
        (local.set $n (i32.sub (i32.load offset=4 (i32.add (local.get $cutStart) (i32.shl (local.get $f) (i32.const 2)))) (local.get $base)))
        (local.set $first (f64.const inf))
        (local.set $last (f64.const inf))
        (if (i32.gt_s (local.get $n) (i32.const 0))
          (then
            (local.set $first (f64.load (i32.add (local.get $cuts) (i32.shl (local.get $base) (i32.const 3)))))
            (local.set $last (f64.load (i32.add (local.get $cuts) (i32.shl (i32.sub (i32.add (local.get $base) (local.get $n)) (i32.const 1)) (i32.const 3)))))))
        (local.set $lof (f64.load (i32.add (local.get $lo) (i32.shl (local.get $f) (i32.const 3)))))
        (local.set $sc (f64.load (i32.add (local.get $scale) (i32.shl (local.get $f) (i32.const 3)))))
        (local.set $b0 (i32.load (i32.add (local.get $bucketStart) (i32.shl (local.get $f) (i32.const 2)))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $eachRow
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $at (i32.add (i32.mul (local.get $i) (local.get $d)) (local.get $f)))
            (local.set $x (f64.load (i32.add (local.get $X) (i32.shl (local.get $at) (i32.const 3)))))
            (if (f64.le (local.get $x) (local.get $first))
              (then (local.set $r (i32.const 0)))
              (else (if (f64.gt (local.get $x) (local.get $last))
                (then (local.set $r (local.get $n)))
                (else (if (f64.ne (local.get $x) (local.get $x))
                  (then (local.set $r (i32.const 0x7fffffff)))
                  (else
                    (local.set $r (i32.load (i32.add (local.get $buckets)
                      (i32.shl (i32.add (local.get $b0) (i32.trunc_sat_f64_s (f64.mul (f64.sub (local.get $x) (local.get $lof)) (local.get $sc)))) (i32.const 2)))))
                    ;; Two steps up without branching (a bucket rarely holds more than two
                    ;; cuts, and a branch per step would be mispredicted about as often as
                    ;; taken); no bound check, as x <= the last cut stops every step before it.
                    (local.set $r (i32.add (local.get $r)
                      (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))) (local.get $x))))
                    (local.set $r (i32.add (local.get $r)
                      (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))) (local.get $x))))
                    (block $upDone
                      (loop $up
                        (br_if $upDone (i32.ge_s (local.get $r) (local.get $n)))
                        (br_if $upDone (i32.eqz (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (i32.add (local.get $base) (local.get $r)) (i32.const 3)))) (local.get $x))))
                        (local.set $r (i32.add (local.get $r) (i32.const 1)))
                        (br $up)))
                    (block $downDone
                      (loop $down
                        (br_if $downDone (i32.le_s (local.get $r) (i32.const 0)))
                        (br_if $downDone (i32.eqz (f64.ge (f64.load (i32.add (local.get $cuts) (i32.shl (i32.sub (i32.add (local.get $base) (local.get $r)) (i32.const 1)) (i32.const 3)))) (local.get $x))))
                        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
                        (br $down)))))))))
            (i32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $f) (local.get $stride)) (local.get $i)) (i32.const 2))) (local.get $r))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $eachRow)))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br $features))))
)
