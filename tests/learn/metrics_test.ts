import assert from "node:assert/strict";
import { Random } from "../../src/util/random.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import {
  type MetricsSummary,
  PrequentialMetrics,
  summarizeBatch,
} from "../../src/learn/metrics.ts";
import { logLoss } from "../../src/learn/logistic.ts";
import { AUC_BINS, binOf } from "../../src/learn/metrics_span.ts";

/** Scores, labels and truths where a label is drawn from its truth; scores are noisy truths. */
function sample(n: number, seed: number) {
  const r = new Random(seed);
  const scores: number[] = [], labels: number[] = [], truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = 0.05 + 0.45 * r.next();
    truth.push(Math.round(p * 50) / 50); // ties, as in the generator
    scores.push(Math.min(0.999, Math.max(0.001, p + (r.next() - 0.5) * 0.2)));
    labels.push(r.next() < p ? 1 : 0);
  }
  return { scores, labels, truth };
}

/** Exact AUC by the Mann–Whitney statistic, ties counting ½. */
function exactAuc(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0, pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) j++;
    const rank = (i + j + 1) / 2; // average 1-based rank
    for (let k = i; k < j; k++) if (labels[idx[k]] === 1) (rankSumPos += rank), pos++;
    i = j;
  }
  const neg = labels.length - pos;
  return (rankSumPos - pos * (pos + 1) / 2) / (pos * neg);
}

function naive(scores: number[], labels: number[], truth: number[]) {
  const n = scores.length;
  const ll = (p: number, y: number) => -Math.log(y ? p : 1 - p);
  const r = labels.reduce((s, y) => s + y, 0) / n;
  return {
    logLoss: scores.reduce((s, p, i) => s + ll(p, labels[i]), 0) / n,
    bayes: truth.reduce((s, p, i) => s + ll(p, labels[i]), 0) / n,
    accuracy: scores.filter((p, i) => (p >= 0.5 ? 1 : 0) === labels[i]).length / n,
    majority: Math.max(r, 1 - r),
    constant: -(r * Math.log(r) + (1 - r) * Math.log(1 - r)),
    auc: exactAuc(scores, labels),
    bayesAuc: exactAuc(truth, labels),
  };
}

function assertMatches(got: MetricsSummary, want: ReturnType<typeof naive>, n: number) {
  const close = (a: number | null, b: number, tol = 1e-9) =>
    assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);
  assert.equal(got.events, n);
  close(got.logLoss, want.logLoss);
  close(got.bayesLogLoss, want.bayes);
  close(got.ratioToBayes, want.logLoss / want.bayes);
  close(got.accuracy, want.accuracy);
  close(got.majorityAccuracy, want.majority);
  close(got.constantLogLoss, want.constant);
  // the binned AUC is within its stated bound of the exact one, and the bound is small here
  close(got.auc, want.auc, got.aucErrorBound! + 1e-12);
  assert.ok(got.aucErrorBound! < 1e-3, `bound ${got.aucErrorBound}`);
  // truths tie exactly (50 levels, each inside one bin), so the binned Bayes AUC is exact
  close(got.bayesAuc, want.bayesAuc);
}

Deno.test("PrequentialMetrics matches a direct computation, cumulative and rolling", () => {
  const { scores, labels, truth } = sample(25_000, 1);
  const m = new PrequentialMetrics({ windowSize: 10_000 });
  for (let i = 0; i < scores.length; i++) m.add(scores[i], labels[i], truth[i]);
  const { cumulative, rolling } = m.snapshot();
  assertMatches(cumulative, naive(scores, labels, truth), 25_000);
  assertMatches(
    rolling,
    naive(scores.slice(-10_000), labels.slice(-10_000), truth.slice(-10_000)),
    10_000,
  );
});

Deno.test("PrequentialMetrics.addBatch() equals adding each event", () => {
  const { scores, labels, truth } = sample(3000, 2);
  const batch = new FeatureBatch(1);
  const a = new PrequentialMetrics({ windowSize: 1000 }),
    b = new PrequentialMetrics({ windowSize: 1000 });
  for (let i = 0; i < scores.length; i++) {
    const k = batch.add();
    batch.scores[k] = scores[i];
    batch.labels[k] = labels[i];
    batch.truth[k] = truth[i];
    a.add(scores[i], labels[i], truth[i]);
  }
  b.addBatch(batch);
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
});

Deno.test("PrequentialMetrics.addBatchSummary() is addBatch() plus summarizeBatch(), bit for bit", () => {
  // batches shorter and longer than the window, some truths unknown, some scores 0, 1 or NaN
  const { scores, labels, truth } = sample(5000, 3);
  for (let i = 0; i < scores.length; i += 97) truth[i] = NaN;
  scores[5] = 0, scores[6] = 1, scores[7] = NaN;
  const a = new PrequentialMetrics({ windowSize: 700 }),
    b = new PrequentialMetrics({ windowSize: 700 });
  let at = 0;
  for (const size of [1, 300, 699, 700, 701, 2000, 599]) {
    const batch = new FeatureBatch(1), losses = new Float64Array(size);
    for (let i = at; i < at + size; i++) {
      const k = batch.add();
      batch.scores[k] = scores[i];
      batch.labels[k] = labels[i];
      batch.truth[k] = truth[i];
      losses[k] = logLoss(scores[i], labels[i]);
    }
    at += size;
    a.addBatch(batch, losses);
    const want = summarizeBatch(batch, losses);
    const got = b.addBatchSummary(batch, losses);
    assert.deepStrictEqual(got, want);
    assert.deepStrictEqual(b.toJSON(), a.toJSON());
  }
  assert.equal(b.addBatchSummary(new FeatureBatch(1), new Float64Array(0)), null);
});

Deno.test("PrequentialMetrics reports no Bayes figures when a truth is missing", () => {
  const m = new PrequentialMetrics();
  m.add(0.3, 1, 0.3);
  m.add(0.3, 0);
  const s = m.snapshot().cumulative;
  assert.equal(s.bayesLogLoss, null);
  assert.equal(s.ratioToBayes, null);
  assert.ok(s.logLoss !== null);
});

Deno.test("PrequentialMetrics with a single class reports no AUC, and nothing before any event", () => {
  const m = new PrequentialMetrics();
  assert.equal(m.snapshot().cumulative.logLoss, null);
  m.add(0.2, 0);
  assert.equal(m.snapshot().cumulative.auc, null);
  assert.equal(m.snapshot().cumulative.majorityAccuracy, 1);
});

Deno.test("PrequentialMetrics serialize → deserialize → continue equals never stopping", () => {
  const { scores, labels, truth } = sample(12_345, 3);
  const a = new PrequentialMetrics({ windowSize: 1000 });
  let b = new PrequentialMetrics({ windowSize: 1000 });
  for (let i = 0; i < scores.length; i++) {
    a.add(scores[i], labels[i], truth[i]);
    b.add(scores[i], labels[i], truth[i]);
    if (i % 2777 === 0) b = PrequentialMetrics.fromJSON(JSON.parse(JSON.stringify(b.toJSON())));
  }
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
  assert.deepStrictEqual(b.snapshot(), a.snapshot());
});

Deno.test("PrequentialMetrics rejects a bad window size and state", () => {
  assert.throws(() => new PrequentialMetrics({ windowSize: 0 }), RangeError);
  assert.throws(() => PrequentialMetrics.fromJSON({} as never), TypeError);
});

Deno.test("binOf() splits [0, 1] into AUC_BINS bins, clamping outside", () => {
  assert.equal(binOf(0), 0);
  assert.equal(binOf(-0.5), 0);
  assert.equal(binOf(0.5), AUC_BINS / 2);
  assert.equal(binOf(1), AUC_BINS - 1);
  assert.equal(binOf(7), AUC_BINS - 1);
  assert.equal(binOf((AUC_BINS - 1) / AUC_BINS), AUC_BINS - 1);
  assert.equal(binOf(1 / AUC_BINS - 1e-12), 0);
  assert.equal(binOf(1 / AUC_BINS), 1);
});

Deno.test("PrequentialMetrics.addBatchSummary() of batches of a quarter of the bins and more, within the window, is addBatch() bit for bit", () => {
  const { scores, labels, truth } = sample(20_000, 5);
  for (let i = 0; i < scores.length; i += 13) truth[i] = NaN;
  const a = new PrequentialMetrics({ windowSize: 12_000 });
  const b = new PrequentialMetrics({ windowSize: 12_000 });
  let at = 0;
  for (const size of [AUC_BINS / 4 - 1, AUC_BINS / 4, 100, 9000, 2603]) {
    const batch = new FeatureBatch(1, { capacity: size }), losses = new Float64Array(size);
    for (let i = at; i < at + size; i++) {
      const k = batch.add();
      batch.scores[k] = scores[i];
      batch.labels[k] = labels[i];
      batch.truth[k] = truth[i];
      losses[k] = logLoss(scores[i], labels[i]);
    }
    at += size;
    a.addBatch(batch, losses);
    assert.deepStrictEqual(b.addBatchSummary(batch, losses), summarizeBatch(batch, losses));
    assert.deepStrictEqual(b.toJSON(), a.toJSON());
  }
});

Deno.test("PrequentialMetrics.addBatchSummary()'s bulk pass is addBatch() bit for bit over random batches (NaN, ties, odd labels)", () => {
  const r = new Random(17);
  for (const windowSize of [AUC_BINS / 4, 5003, 9000]) {
    const a = new PrequentialMetrics({ windowSize });
    let b = new PrequentialMetrics({ windowSize });
    for (let round = 0; round < 8; round++) {
      // Batches from a quarter of the bins to the whole window: all of them take the bulk pass.
      const size = AUC_BINS / 4 + Math.floor(r.next() * (windowSize - AUC_BINS / 4 + 1));
      const batch = new FeatureBatch(1, { capacity: size }), losses = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        const k = batch.add(), u = r.next();
        // Ties in one bin, bin edges, 0.5, out of [0, 1], and NaN scores now and then.
        batch.scores[k] = u < 0.05
          ? [NaN, 0, 1, 0.5, -0.25, 1.5, 1 / AUC_BINS][Math.floor(r.next() * 7)]
          : u < 0.3
          ? Math.floor(r.next() * 40) / 40
          : r.next();
        batch.labels[k] = r.next() < 0.02 ? 2 : r.next() < 0.35 ? 1 : 0;
        // Rounds without any truth: a window with none, then truths again.
        batch.truth[k] = round % 3 === 1 || r.next() < 0.5 ? NaN : Math.floor(r.next() * 50) / 50;
        losses[k] = r.next() < 0.01 ? NaN : logLoss(batch.scores[k], batch.labels[k]);
      }
      a.addBatch(batch, losses);
      const want = summarizeBatch(batch, losses);
      assert.deepStrictEqual(b.addBatchSummary(batch, losses), want, `window ${windowSize}`);
      assert.deepStrictEqual(b.toJSON(), a.toJSON(), `window ${windowSize}, round ${round}`);
      assert.deepStrictEqual(b.snapshot(), a.snapshot());
      if (round === 2) b = PrequentialMetrics.fromJSON(structuredClone(b.toJSON()));
    }
  }
});
