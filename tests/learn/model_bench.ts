/**
 * Model update throughput: each iteration processes one micro-batch of 10 000 pre-featurized
 * generator events (events/s = iter/s × 10 000). Baseline: the same logistic SGD written with
 * plain `number[]` weights and rows, no standardization, no per-coordinate rates.
 *
 * @module
 */

import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";

// The dense model's behaviour, on a dense-only set (the default, shop, adds hashed urls).
const DENSE_SET = featureSet("session");
import { Featurizer } from "../../src/learn/features.ts";
import { LogisticModel } from "../../src/learn/model.ts";

const FEATURE_NAMES = DENSE_SET.names;
const FEATURE_COUNT = DENSE_SET.width;

const N = 10_000;
const d = FEATURE_COUNT;
const gen = new SessionGenerator({ seed: 1 });
const featurizer = new Featurizer({ featureSet: DENSE_SET });
// warm the stream past the pool's fill-up, then keep one steady-state batch
for (let i = 0; i < 200_000; i++) featurizer.observe(gen.next());
const batch = new FeatureBatch(d, { capacity: N });
for (let i = 0; i < N; i++) featurizer.push(gen.next(), batch);
const plainRows: number[] = Array.from(batch.rows.subarray(0, N * d));
const plainLabels: number[] = Array.from(batch.labels.subarray(0, N));

const plainWeights: number[] = new Array(d + 1).fill(0);
function plainSgd(rows: number[], labels: number[], w: number[], lr: number): number {
  let last = 0;
  for (let i = 0; i < labels.length; i++) {
    let z = w[d];
    for (let j = 0; j < d; j++) z += w[j] * rows[i * d + j];
    const p = 1 / (1 + Math.exp(-z));
    const g = p - labels[i];
    for (let j = 0; j < d; j++) w[j] -= lr * g * rows[i * d + j];
    w[d] -= lr * g;
    last = p;
  }
  return last;
}

Deno.bench({
  name: "plain number[] SGD (10k events)",
  group: "model update",
  baseline: true,
  fn() {
    plainSgd(plainRows, plainLabels, plainWeights, 0.01);
  },
});

for (const mode of ["adagrad", "ftrl", "seed"] as const) {
  const model = new LogisticModel(FEATURE_NAMES, { mode });
  Deno.bench({
    name: `${mode} processBatch (10k events)${mode === "adagrad" ? ", default mode" : ""}`,
    group: "model update",
    fn() {
      model.processBatch(batch);
    },
  });
}
