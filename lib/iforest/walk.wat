;; The scoring layout's kernels (layout.ts): ranking a block of rows and walking the trees,
;; compiled to walk.wasm by `npm run build:wasm`. Why WebAssembly: a step is a few integer
;; operations and two loads, and in JavaScript every typed-array load also pays a bounds
;; check and a deoptimization guard; here it is the plain instructions, about twice as fast.
;;
;; Memory (imported, laid out by layout.ts), all little-endian:
;;   nodes  i32[trees * nInternal]      (threshold rank << featureBits) | feature, heap order
;;   paths  f64[trees * (nInternal+1)]  path length of each bottom slot
;;   ranks  i32[rows * d]               the rows' feature ranks (see Ranker)
;;   out    f64[rows]                   path lengths are added here
;;   rankRows also reads the block's rows (f64[rows * d]) and the Ranker's arrays.
(module
  (memory (import "env" "memory") 1)

  ;; For each tree, each row walks `depth` steps, i = 2i + 1 + (rank(x) > rank(threshold)),
  ;; and adds its bottom slot's path length to out[row]. Four rows walk side by side so
  ;; their independent load chains overlap.
  (func (export "addPathLengths")
    (param $nodes i32) (param $paths i32) (param $ranks i32) (param $out i32)
    (param $rows i32) (param $trees i32) (param $d i32) (param $depth i32) (param $featureBits i32)
    (local $nInternal i32) (local $mask i32) (local $rowBytes i32) (local $rows4 i32)
    (local $t i32) (local $fo i32) (local $po i32) (local $i i32) (local $k i32) (local $p i32) (local $o i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $h0 i32) (local $h1 i32) (local $h2 i32) (local $h3 i32)
    (local.set $nInternal (i32.sub (i32.shl (i32.const 1) (local.get $depth)) (i32.const 1)))
    (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $featureBits)) (i32.const 1)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $t (i32.const 0))
    (block $treesDone
      (loop $trees
        (br_if $treesDone (i32.ge_u (local.get $t) (local.get $trees)))
        ;; This tree's nodes, and its bottom slots shifted so that slot h is at $po + 8h.
        (local.set $fo (i32.add (local.get $nodes) (i32.shl (i32.mul (local.get $t) (local.get $nInternal)) (i32.const 2))))
        (local.set $po
          (i32.sub
            (i32.add (local.get $paths) (i32.shl (i32.mul (local.get $t) (i32.add (local.get $nInternal) (i32.const 1))) (i32.const 3)))
            (i32.shl (local.get $nInternal) (i32.const 3))))
        (local.set $i (i32.const 0))
        ;; Four rows at a time.
        (block $fourDone
          (loop $four
            (br_if $fourDone (i32.ge_u (local.get $i) (local.get $rows4)))
            (local.set $b0 (i32.add (local.get $ranks) (i32.mul (local.get $i) (local.get $rowBytes))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $rowBytes)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $rowBytes)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $rowBytes)))
            (local.set $h0 (i32.const 0))
            (local.set $h1 (i32.const 0))
            (local.set $h2 (i32.const 0))
            (local.set $h3 (i32.const 0))
            (local.set $k (local.get $depth))
            (block $stepsDone
              (loop $steps
                (br_if $stepsDone (i32.eqz (local.get $k)))
                (local.set $p (i32.load (i32.add (local.get $fo) (i32.shl (local.get $h0) (i32.const 2)))))
                (local.set $h0
                  (i32.add (i32.or (i32.shl (local.get $h0) (i32.const 1)) (i32.const 1))
                    (i32.gt_s (i32.load (i32.add (local.get $b0) (i32.shl (i32.and (local.get $p) (local.get $mask)) (i32.const 2))))
                              (i32.shr_u (local.get $p) (local.get $featureBits)))))
                (local.set $p (i32.load (i32.add (local.get $fo) (i32.shl (local.get $h1) (i32.const 2)))))
                (local.set $h1
                  (i32.add (i32.or (i32.shl (local.get $h1) (i32.const 1)) (i32.const 1))
                    (i32.gt_s (i32.load (i32.add (local.get $b1) (i32.shl (i32.and (local.get $p) (local.get $mask)) (i32.const 2))))
                              (i32.shr_u (local.get $p) (local.get $featureBits)))))
                (local.set $p (i32.load (i32.add (local.get $fo) (i32.shl (local.get $h2) (i32.const 2)))))
                (local.set $h2
                  (i32.add (i32.or (i32.shl (local.get $h2) (i32.const 1)) (i32.const 1))
                    (i32.gt_s (i32.load (i32.add (local.get $b2) (i32.shl (i32.and (local.get $p) (local.get $mask)) (i32.const 2))))
                              (i32.shr_u (local.get $p) (local.get $featureBits)))))
                (local.set $p (i32.load (i32.add (local.get $fo) (i32.shl (local.get $h3) (i32.const 2)))))
                (local.set $h3
                  (i32.add (i32.or (i32.shl (local.get $h3) (i32.const 1)) (i32.const 1))
                    (i32.gt_s (i32.load (i32.add (local.get $b3) (i32.shl (i32.and (local.get $p) (local.get $mask)) (i32.const 2))))
                              (i32.shr_u (local.get $p) (local.get $featureBits)))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $steps)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (f64.load (local.get $o)) (f64.load (i32.add (local.get $po) (i32.shl (local.get $h0) (i32.const 3))))))
            (f64.store offset=8 (local.get $o)
              (f64.add (f64.load offset=8 (local.get $o)) (f64.load (i32.add (local.get $po) (i32.shl (local.get $h1) (i32.const 3))))))
            (f64.store offset=16 (local.get $o)
              (f64.add (f64.load offset=16 (local.get $o)) (f64.load (i32.add (local.get $po) (i32.shl (local.get $h2) (i32.const 3))))))
            (f64.store offset=24 (local.get $o)
              (f64.add (f64.load offset=24 (local.get $o)) (f64.load (i32.add (local.get $po) (i32.shl (local.get $h3) (i32.const 3))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $four)))
        ;; The last rows, one at a time.
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $b0 (i32.add (local.get $ranks) (i32.mul (local.get $i) (local.get $rowBytes))))
            (local.set $h0 (i32.const 0))
            (local.set $k (local.get $depth))
            (block $stepDone
              (loop $step
                (br_if $stepDone (i32.eqz (local.get $k)))
                (local.set $p (i32.load (i32.add (local.get $fo) (i32.shl (local.get $h0) (i32.const 2)))))
                (local.set $h0
                  (i32.add (i32.or (i32.shl (local.get $h0) (i32.const 1)) (i32.const 1))
                    (i32.gt_s (i32.load (i32.add (local.get $b0) (i32.shl (i32.and (local.get $p) (local.get $mask)) (i32.const 2))))
                              (i32.shr_u (local.get $p) (local.get $featureBits)))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $step)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (f64.load (local.get $o)) (f64.load (i32.add (local.get $po) (i32.shl (local.get $h0) (i32.const 3))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $one)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $trees))))
  ;; Ranks of a block of rows (Ranker in layout.ts, which documents the arrays): for each
  ;; feature and row, how many of the feature's cuts lie below the value, found from the
  ;; value's bucket and a step or two; NaN ranks above everything (0x7fffffff).
  (func (export "rankRows")
    (param $X i32) (param $rows i32) (param $d i32) (param $out i32)
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
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $at) (i32.const 2))) (local.get $r))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $eachRow)))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br $features))))
)
