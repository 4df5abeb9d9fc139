/**
 * Prequential evaluation: each event's score was made before the model learnt from it, and is
 * judged here against its label — cumulatively since the start and over a rolling window of the
 * last `windowSize` events (a ring buffer). Reported beside each other, because on this stream
 * accuracy alone says nothing (the purchase probability never exceeds 0.5, so the perfect model's
 * accuracy equals the majority baseline):
 *
 * - log loss (probabilities clamped to [1e-15, 1 − 1e-15]);
 * - ROC AUC, histogram-binned over {@linkcode AUC_BINS} equal-width score bins: pairs in
 *   different bins are ranked exactly, pairs within one bin count ½ (as ties do), so the exact
 *   AUC lies within `aucErrorBound = ½ Σ_b pos_b · neg_b / (P · N)` of the value given — the bound
 *   is computed and reported with it;
 * - accuracy at threshold 0.5 and the majority accuracy `max(r, 1 − r)` of the same events;
 * - the constant-rate log loss of the same events, at the **in-hindsight** rate `r` of those
 *   events (`−r ln r − (1−r) ln(1−r)`, the stricter baseline: no running-rate learning cost);
 * - when the stream's true probabilities are known (the generator), the Bayes log loss (the best
 *   possible) and the Bayes AUC; `null` when any event of the span lacks its truth.
 *
 * A span's counts, sums and histograms are `metrics_span.ts`'s `Span`.
 *
 * Labels never reach a score: the metrics only read scores already written. Serializes to a
 * plain JSON-able object (ring buffers base64-encoded, see `typed_codec.ts`) that restores
 * exactly.
 *
 * @module
 */

import type { FeatureBatch } from "./feature_batch.ts";
import { logLoss } from "./logistic.ts";
import { AUC_BINS, binOf, Span, type SpanState } from "./metrics_span.ts";
import {
  addBatchPass,
  addBatchPassBulk,
  FLAG_CORRECT,
  FLAG_LABEL,
  FLAG_TRUTH,
} from "./metrics_pass.ts";
import { decodeTyped, encodeTyped } from "./typed_codec.ts";

export { AUC_BINS, summarizeBatch } from "./metrics_span.ts";

/** Options of {@linkcode PrequentialMetrics}. */
export interface MetricsOptions {
  /** Events in the rolling window. Default `100000`. */
  windowSize?: number;
}

/** The metrics of one span of events (cumulative or rolling). */
export interface MetricsSummary {
  /** Events in the span. */
  events: number;
  /** Purchases in the span. */
  positives: number;
  /** `positives / events`. */
  purchaseRate: number | null;
  /** Mean log loss of the model's scores. */
  logLoss: number | null;
  /** Binned ROC AUC (`null` with a single class). */
  auc: number | null;
  /** The exact AUC is within this of `auc`. */
  aucErrorBound: number | null;
  /** Accuracy at threshold 0.5. */
  accuracy: number | null;
  /** `max(r, 1 − r)` for the span's purchase rate `r`. */
  majorityAccuracy: number | null;
  /** Log loss of predicting the span's own (in-hindsight) purchase rate for every event. */
  constantLogLoss: number | null;
  /** Mean log loss of the true probabilities, when all are known. */
  bayesLogLoss: number | null;
  /** `logLoss / bayesLogLoss`. */
  ratioToBayes: number | null;
  /** Binned AUC of the true probabilities, when all are known. */
  bayesAuc: number | null;
}

/** Both spans. */
export interface MetricsSnapshot {
  /** Since the start. */
  cumulative: MetricsSummary;
  /** Over the rolling window. */
  rolling: MetricsSummary;
}

/** The plain JSON-able state of {@linkcode PrequentialMetrics}. */
export interface MetricsState {
  /** The state's format version. */
  version: 1;
  /** Events in the rolling window. */
  windowSize: number;
  /** The cumulative span. */
  cumulative: SpanState;
  /** The rolling window's span. */
  rolling: SpanState;
  /**
   * Ring buffer slots `0 .. min(events, windowSize))`, in storage order, each array encoded by
   * `encodeTyped` (base64 of its bytes: exact and compact).
   */
  ring: { loss: string; bayesLoss: string; bin: string; truthBin: string; flags: string };
  /** The ring slot the next event goes to. */
  next: number;
  /** Events since the window's sums were last re-added from the ring. */
  sinceResum: number;
}

/** The span of {@linkcode PrequentialMetrics.addBatchSummary}, empty between calls. */
const batchSpan = new Span();
/**
 * A bulk batch's score bins and truth bins, and those of the events it pushes out of the window
 * (`addBatchPassBulk`'s layout: negatives at `2b`, positives at `2b + 1`), 0 between calls.
 */
const batchBins = new Int32Array(2 * AUC_BINS), leftBins = new Int32Array(2 * AUC_BINS);
const batchTruthBins = new Int32Array(2 * AUC_BINS), leftTruthBins = new Int32Array(2 * AUC_BINS);

/** Cumulative and rolling prequential metrics. */
export class PrequentialMetrics {
  /** Events in the rolling window. */
  readonly windowSize: number;
  #all = new Span();
  #win = new Span();
  #loss: Float64Array;
  #bayesLoss: Float64Array;
  #bin: Uint16Array;
  #truthBin: Uint16Array;
  #flags: Uint8Array;
  #next = 0; // ring write position
  #sinceResum = 0;

  /**
   * Creates empty metrics.
   *
   * @param options see {@linkcode MetricsOptions}
   */
  constructor(options: MetricsOptions = {}) {
    const w = options.windowSize ?? 100_000;
    if (!Number.isInteger(w) || w < 1) {
      throw new RangeError(
        `Cannot create PrequentialMetrics with windowSize ${w}: expected an integer ≥ 1.`,
      );
    }
    this.windowSize = w;
    this.#loss = new Float64Array(w);
    this.#bayesLoss = new Float64Array(w);
    this.#bin = new Uint16Array(w);
    this.#truthBin = new Uint16Array(w);
    this.#flags = new Uint8Array(w);
  }

  /**
   * Adds one event: its pre-learning `score`, its `label` (0 or 1) and, if known, its true
   * purchase probability `truth` (`NaN` when unknown).
   */
  add(score: number, label: number, truth = NaN): void {
    this.#add(logLoss(score, label), score, label, truth);
  }

  /**
   * {@linkcode PrequentialMetrics.add} of an event whose log loss `loss` is known already (a
   * batch with its summary goes through `addBatchPass` of `metrics_pass.ts` instead).
   */
  #add(loss: number, score: number, label: number, truth: number): void {
    const bin = binOf(score);
    const correct = (score >= 0.5 ? 1 : 0) === label;
    const hasTruth = truth === truth;
    const bayesLoss = hasTruth ? logLoss(truth, label) : 0;
    const truthBin = hasTruth ? binOf(truth) : 0;
    const flags = (label === 1 ? FLAG_LABEL : 0) | (correct ? FLAG_CORRECT : 0) |
      (hasTruth ? FLAG_TRUTH : 0);
    const all = this.#all, win = this.#win;
    this.#addTo(all, loss, bayesLoss, bin, truthBin, flags, 1);
    const i = this.#next;
    if (win.events === this.windowSize) {
      this.#addTo(
        win,
        this.#loss[i],
        this.#bayesLoss[i],
        this.#bin[i],
        this.#truthBin[i],
        this.#flags[i],
        -1,
      );
    }
    this.#addTo(win, loss, bayesLoss, bin, truthBin, flags, 1);
    this.#loss[i] = loss;
    this.#bayesLoss[i] = bayesLoss;
    this.#bin[i] = bin;
    this.#truthBin[i] = truthBin;
    this.#flags[i] = flags;
    this.#next = i + 1 === this.windowSize ? 0 : i + 1;
    // re-add the window's sums from the ring now and then, so subtraction error cannot build up
    if (++this.#sinceResum >= this.windowSize) this.#resum();
  }

  /**
   * Adds every event of `batch` (its `scores`, `labels` and `truth`). With `losses`, event `i`'s
   * log loss is `losses[i]` — `logLoss(scores[i], labels[i])` as the model wrote it
   * (`ProcessOptions.losses`) — instead of computed again.
   */
  addBatch(batch: FeatureBatch, losses?: Float64Array): void {
    const scores = batch.scores, labels = batch.labels, truth = batch.truth;
    if (losses === undefined) {
      for (let i = 0; i < batch.length; i++) this.add(scores[i], labels[i], truth[i]);
    } else {
      for (let i = 0; i < batch.length; i++) {
        this.#add(losses[i], scores[i], labels[i], truth[i]);
      }
    }
  }

  /**
   * {@linkcode PrequentialMetrics.addBatch} with `losses`, and the metrics of the batch alone
   * (`summarizeBatch(batch, losses)`, bit for bit) from the same pass: each event's log losses
   * and bins are worked out once for the three spans. `null` for an empty batch.
   */
  addBatchSummary(batch: FeatureBatch, losses: Float64Array): MetricsSummary | null {
    const n = batch.length;
    if (n === 0) return null;
    const scores = batch.scores, labels = batch.labels, truth = batch.truth, s = batchSpan;
    const from = this.#next;
    // `#add(losses[i], scores[i], labels[i], truth[i])` for each event, and the batch span `s`
    // too, in one loop.
    const ring = {
      loss: this.#loss,
      bayesLoss: this.#bayesLoss,
      bin: this.#bin,
      truthBin: this.#truthBin,
      flags: this.#flags,
      next: from,
      sinceResum: this.#sinceResum,
    };
    // A batch of a quarter of the bins or more, within the window, adds its bins to the window's
    // in one pass below instead of one event at a time (whole counts: the same in any order).
    const bulk = n >= AUC_BINS / 4 && n <= this.windowSize;
    const win = this.#win, size = this.windowSize;
    if (bulk) {
      addBatchPassBulk(
        n,
        losses,
        scores,
        labels,
        truth,
        this.#all,
        win,
        s,
        ring,
        size,
        batchBins,
        leftBins,
        batchTruthBins,
        leftTruthBins,
      );
      for (let b = 0; b < AUC_BINS; b++) {
        s.neg[b] = batchBins[2 * b], s.pos[b] = batchBins[2 * b + 1];
        s.truthNeg[b] = batchTruthBins[2 * b], s.truthPos[b] = batchTruthBins[2 * b + 1];
      }
    } else {
      addBatchPass(n, losses, scores, labels, truth, this.#all, win, s, ring, size);
    }
    this.#next = ring.next;
    this.#sinceResum = ring.sinceResum;
    const summary = s.summary();
    // The batch's counts into the cumulative span, and the batch span back to empty: its bins are
    // the ring's last min(n, windowSize) slots (a bin met again adds 0). From a quarter of the
    // bins on, a pass over all of them is cheaper than one per slot, and the same (+0 elsewhere).
    const all = this.#all;
    all.events += s.events;
    all.positives += s.positives;
    all.correct += s.correct;
    all.truthEvents += s.truthEvents;
    if (n >= this.windowSize || n >= AUC_BINS / 4) {
      for (let b = 0; b < AUC_BINS; b++) {
        all.pos[b] += s.pos[b], all.neg[b] += s.neg[b];
        all.truthPos[b] += s.truthPos[b], all.truthNeg[b] += s.truthNeg[b];
      }
      if (bulk) {
        // The batch's bins in, those of the events it pushed out of the window out.
        for (let b = 0; b < AUC_BINS; b++) {
          win.pos[b] += s.pos[b] - leftBins[2 * b + 1], win.neg[b] += s.neg[b] - leftBins[2 * b];
          win.truthPos[b] += s.truthPos[b] - leftTruthBins[2 * b + 1];
          win.truthNeg[b] += s.truthNeg[b] - leftTruthBins[2 * b];
        }
        batchBins.fill(0), leftBins.fill(0), batchTruthBins.fill(0), leftTruthBins.fill(0);
      }
      s.pos.fill(0), s.neg.fill(0), s.truthPos.fill(0), s.truthNeg.fill(0);
    } else {
      const bins = this.#bin, truthBins = this.#truthBin, size = this.windowSize;
      const pos = s.pos, neg = s.neg, truthPos = s.truthPos, truthNeg = s.truthNeg;
      for (let k = 0, i = from; k < n; k++, i = i + 1 === size ? 0 : i + 1) {
        const b = bins[i], t = truthBins[i];
        all.pos[b] += pos[b], all.neg[b] += neg[b];
        pos[b] = neg[b] = 0;
        all.truthPos[t] += truthPos[t], all.truthNeg[t] += truthNeg[t];
        truthPos[t] = truthNeg[t] = 0;
      }
    }
    s.zeroCounts();
    return summary;
  }

  /** The current cumulative and rolling summaries. */
  snapshot(): MetricsSnapshot {
    return { cumulative: this.#all.summary(), rolling: this.#win.summary() };
  }

  /** The plain JSON-able state. */
  toJSON(): MetricsState {
    const n = this.#win.events;
    const order = (a: Float64Array | Uint16Array | Uint8Array) => encodeTyped(a.subarray(0, n));
    return {
      version: 1,
      windowSize: this.windowSize,
      cumulative: this.#all.toJSON(),
      rolling: this.#win.toJSON(),
      ring: {
        loss: order(this.#loss),
        bayesLoss: order(this.#bayesLoss),
        bin: order(this.#bin),
        truthBin: order(this.#truthBin),
        flags: order(this.#flags),
      },
      next: this.#next,
      sinceResum: this.#sinceResum,
    };
  }

  /** Restores metrics from {@linkcode PrequentialMetrics.toJSON}. */
  static fromJSON(state: MetricsState): PrequentialMetrics {
    if (state === null || typeof state !== "object" || state.version !== 1 || !state.ring) {
      throw new TypeError(
        "Cannot restore PrequentialMetrics: the state is not a version-1 metrics state.",
      );
    }
    const m = new PrequentialMetrics({ windowSize: state.windowSize });
    m.#all.load(state.cumulative);
    m.#win.load(state.rolling);
    const loss = decodeTyped(state.ring.loss, m.#loss);
    const n = loss.length;
    const parts = [
      [m.#bayesLoss, decodeTyped(state.ring.bayesLoss, m.#bayesLoss)],
      [m.#bin, decodeTyped(state.ring.bin, m.#bin)],
      [m.#truthBin, decodeTyped(state.ring.truthBin, m.#truthBin)],
      [m.#flags, decodeTyped(state.ring.flags, m.#flags)],
    ] as const;
    if (n > m.windowSize || parts.some(([, p]) => p.length !== n)) {
      throw new TypeError("Cannot restore PrequentialMetrics: the ring buffer is malformed.");
    }
    m.#loss.set(loss);
    for (const [to, from] of parts) (to as Float64Array).set(from as Float64Array);
    if (!(state.next >= 0 && state.next < m.windowSize)) {
      throw new TypeError("Cannot restore PrequentialMetrics: the ring buffer is malformed.");
    }
    m.#next = state.next;
    m.#sinceResum = state.sinceResum;
    return m;
  }

  #addTo(
    s: Span,
    loss: number,
    bayesLoss: number,
    bin: number,
    truthBin: number,
    flags: number,
    sign: number,
  ): void {
    s.events += sign;
    s.lossSum += sign * loss;
    if (flags & FLAG_CORRECT) s.correct += sign;
    const label = flags & FLAG_LABEL;
    if (label) {
      s.positives += sign;
      s.pos[bin] += sign;
    } else {
      s.neg[bin] += sign;
    }
    if (flags & FLAG_TRUTH) {
      s.truthEvents += sign;
      s.bayesSum += sign * bayesLoss;
      if (label) s.truthPos[truthBin] += sign;
      else s.truthNeg[truthBin] += sign;
    }
  }

  #resum(): void {
    this.#sinceResum = 0;
    let loss = 0, bayes = 0;
    for (let k = 0; k < this.windowSize; k++) {
      loss += this.#loss[k];
      bayes += this.#bayesLoss[k];
    }
    this.#win.lossSum = loss;
    this.#win.bayesSum = bayes;
  }
}
