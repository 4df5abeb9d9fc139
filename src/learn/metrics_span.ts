/**
 * One span of prequential metrics (`metrics.ts`: the cumulative one, the rolling window, a single
 * batch's): its counts and sums, its AUC histograms over {@linkcode AUC_BINS} score bins, and its
 * {@linkcode MetricsSummary}; and {@linkcode summarizeBatch}, the metrics of one batch alone.
 *
 * @module
 */

import type { FeatureBatch } from "./feature_batch.ts";
import { logLoss } from "./logistic.ts";
import type { MetricsSummary } from "./metrics.ts";
import { toNumbers } from "./typed_codec.ts";

/** Equal-width score bins of the AUC histograms. */
export const AUC_BINS = 16384;

/** The plain JSON-able state of a {@linkcode Span}. */
export interface SpanState {
  /** Events. */
  events: number;
  /** Events labelled purchase. */
  positives: number;
  /** Events whose score, thresholded at 0.5, gave their label. */
  correct: number;
  /** Events whose true probability was known. */
  truthEvents: number;
  /** Sum of the events' log losses. */
  lossSum: number;
  /** Sum of the log losses of the known true probabilities. */
  bayesSum: number;
  /** Positives per score bin ({@linkcode AUC_BINS} bins). */
  pos: number[];
  /** Negatives per score bin. */
  neg: number[];
  /** Positives per bin of their true probability. */
  truthPos: number[];
  /** Negatives per bin of their true probability. */
  truthNeg: number[];
}

/** The counts and sums of one span of events, and its AUC histograms. */
export class Span {
  /** Events. */
  events = 0;
  /** Events labelled purchase. */
  positives = 0;
  /** Events whose score, thresholded at 0.5, gave their label. */
  correct = 0;
  /** Events whose true probability was known. */
  truthEvents = 0;
  /** Sum of the events' log losses. */
  lossSum = 0;
  /** Sum of the log losses of the known true probabilities. */
  bayesSum = 0;
  /** Positives per score bin ({@linkcode AUC_BINS} bins). */
  pos = new Float64Array(AUC_BINS);
  /** Negatives per score bin. */
  neg = new Float64Array(AUC_BINS);
  /** Positives per bin of their true probability. */
  truthPos = new Float64Array(AUC_BINS);
  /** Negatives per bin of their true probability. */
  truthNeg = new Float64Array(AUC_BINS);

  /**
   * Sets the counts and sums to 0; the histograms are left to the caller, who knows which bins
   * it filled (clearing those is cheaper than clearing all).
   */
  zeroCounts(): void {
    this.events =
      this.positives =
      this.correct =
      this.truthEvents =
      this.lossSum =
      this.bayesSum =
        0;
  }

  /**
   * The span's figures; `null` ones: no events, a single class (AUC), or a true probability not
   * known for every event (the Bayes figures).
   */
  summary(): MetricsSummary {
    const n = this.events;
    const r = n > 0 ? this.positives / n : NaN;
    const auc = binnedAuc(this.pos, this.neg);
    const exact = this.truthEvents === n && n > 0;
    const logLossValue = n > 0 ? this.lossSum / n : null;
    const bayes = exact ? this.bayesSum / n : null;
    return {
      events: n,
      positives: this.positives,
      purchaseRate: n > 0 ? r : null,
      logLoss: logLossValue,
      auc: auc?.auc ?? null,
      aucErrorBound: auc?.bound ?? null,
      accuracy: n > 0 ? this.correct / n : null,
      majorityAccuracy: n > 0 ? Math.max(r, 1 - r) : null,
      constantLogLoss: n > 0
        ? (r === 0 || r === 1 ? 0 : -(r * Math.log(r) + (1 - r) * Math.log(1 - r)))
        : null,
      bayesLogLoss: bayes,
      ratioToBayes: bayes !== null && logLossValue !== null && bayes > 0
        ? logLossValue / bayes
        : null,
      bayesAuc: exact ? binnedAuc(this.truthPos, this.truthNeg)?.auc ?? null : null,
    };
  }

  /** The plain JSON-able state. */
  toJSON(): SpanState {
    return {
      events: this.events,
      positives: this.positives,
      correct: this.correct,
      truthEvents: this.truthEvents,
      lossSum: this.lossSum,
      bayesSum: this.bayesSum,
      pos: toNumbers(this.pos),
      neg: toNumbers(this.neg),
      truthPos: toNumbers(this.truthPos),
      truthNeg: toNumbers(this.truthNeg),
    };
  }

  /** Takes the counts, sums and histograms of `s`. */
  load(s: SpanState): void {
    this.events = s.events;
    this.positives = s.positives;
    this.correct = s.correct;
    this.truthEvents = s.truthEvents;
    this.lossSum = s.lossSum;
    this.bayesSum = s.bayesSum;
    this.pos.set(s.pos);
    this.neg.set(s.neg);
    this.truthPos.set(s.truthPos);
    this.truthNeg.set(s.truthNeg);
  }
}

/** Binned AUC and its error bound, or `undefined` with a single class. */
function binnedAuc(
  pos: Float64Array,
  neg: Float64Array,
): { auc: number; bound: number } | undefined {
  let p = 0, n = 0, above = 0, ties = 0;
  // walk from the highest bin down: each positive beats the negatives in lower bins
  let negBelow = 0;
  for (let b = 0; b < pos.length; b++) negBelow += neg[b];
  n = negBelow;
  for (let b = pos.length - 1; b >= 0; b--) {
    negBelow -= neg[b];
    above += pos[b] * negBelow;
    ties += pos[b] * neg[b];
    p += pos[b];
  }
  if (p === 0 || n === 0) return undefined;
  const pairs = p * n;
  return { auc: (above + 0.5 * ties) / pairs, bound: 0.5 * ties / pairs };
}

/**
 * The metrics of one batch alone (its `scores`, `labels` and `truth`), e.g. the trainer's
 * "last batch" figures. With `losses`, row `i`'s log loss is `losses[i]` (as
 * `PrequentialMetrics.addBatch` takes it) instead of computed again.
 */
export function summarizeBatch(batch: FeatureBatch, losses?: Float64Array): MetricsSummary {
  // One span for every call, its bins put back to 0 afterwards: no half a megabyte of bins
  // allocated and collected per batch.
  const s = batchSpan;
  for (let i = 0; i < batch.length; i++) {
    const score = batch.scores[i], label = batch.labels[i], truth = batch.truth[i];
    s.events++;
    s.lossSum += losses === undefined ? logLoss(score, label) : losses[i];
    if ((score >= 0.5 ? 1 : 0) === label) s.correct++;
    const bin = binOf(score);
    if (label === 1) {
      s.positives++;
      s.pos[bin]++;
    } else {
      s.neg[bin]++;
    }
    if (truth === truth) {
      s.truthEvents++;
      s.bayesSum += logLoss(truth, label);
      if (label === 1) s.truthPos[binOf(truth)]++;
      else s.truthNeg[binOf(truth)]++;
    }
  }
  const summary = s.summary();
  for (let i = 0; i < batch.length; i++) {
    const bin = binOf(batch.scores[i]), truth = batch.truth[i];
    s.pos[bin] = s.neg[bin] = 0;
    if (truth === truth) s.truthPos[binOf(truth)] = s.truthNeg[binOf(truth)] = 0;
  }
  s.zeroCounts();
  return summary;
}

const batchSpan = new Span();

/** The AUC histogram bin of a score in [0, 1]. */
export function binOf(score: number): number {
  // AUC_BINS written as a literal: read from the module's binding, the optimizing compiler
  // merged it with the float `b` as a boxed value, a heap number per call.
  const b = Math.floor(score * 16384);
  return b < 0 ? 0 : b >= 16384 ? 16383 : b;
}
