// The package ships no types; this is the part of its API the forest benchmark uses.
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    constructor(options?: { nEstimators?: number });
    train(rows: number[][]): void;
    /** Anomaly scores in [0, 1], higher = more anomalous. */
    predict(rows: number[][]): number[];
  }
  const mod: { IsolationForest: typeof IsolationForest };
  export default mod;
}
