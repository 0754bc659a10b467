// ROC AUC by the rank statistic (Mann-Whitney U), ties counted half: for parity tests,
// benchmarks and evaluations against known labels.

/** `scores`: higher = more anomalous; `labels`: 1 anomalous, 0 normal. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new Error('rocAuc: needs both anomalous and normal labels');
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
