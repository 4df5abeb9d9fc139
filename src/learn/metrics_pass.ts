/**
 * The prequential metrics' pass over a batch (`PrequentialMetrics.addBatchSummary`), written as
 * one loop: each event goes into the cumulative span's sums, the rolling window (the event it
 * pushes out of the ring taken away first) and the batch's span, bit for bit as
 * `PrequentialMetrics`'s per-event `#add` and `#addTo` do it, in the same order of operations.
 *
 * Why a loop of its own: `#add` and `#addTo` take their log losses as arguments, and the optimizing
 * compiler does not inline them into the batch loop, so each call boxed its `number`s (≈ 55 bytes
 * of young-generation garbage per event, the most of `learn`'s). Here the sums and counts are
 * locals for the batch, stored back into the spans at its end (and around a re-sum of the window).
 *
 * @module
 */

import { logLoss } from "./logistic.ts";
import { binOf, type Span } from "./metrics_span.ts";

/** `flags` bits of a ring slot (as `metrics.ts` writes them). */
export const FLAG_LABEL = 1, FLAG_CORRECT = 2, FLAG_TRUTH = 4;

/** The rolling window's ring of per-event values, and where it stands. */
export interface MetricsRing {
  /** Each slot's log loss. */
  loss: Float64Array;
  /** Each slot's Bayes log loss (0 without a truth). */
  bayesLoss: Float64Array;
  /** Each slot's score bin. */
  bin: Uint16Array;
  /** Each slot's truth bin (0 without a truth). */
  truthBin: Uint16Array;
  /** Each slot's `FLAG_*` bits. */
  flags: Uint8Array;
  /** The slot the next event is written to. */
  next: number;
  /** Events since the window's sums were last re-added from the ring. */
  sinceResum: number;
}

/**
 * Adds events `[0, n)` (`losses`, `scores`, `labels`, `truth`) to `all` (its two sums only: its
 * counts come from `batch` at the batch's end), to the window `win` over `ring` (`size` slots) and
 * to `batch`; moves `ring.next` and `ring.sinceResum` on.
 */
export function addBatchPass(
  n: number,
  losses: Float64Array,
  scores: Float64Array,
  labels: Uint8Array,
  truth: Float64Array,
  all: Span,
  win: Span,
  batch: Span,
  ring: MetricsRing,
  size: number,
): void {
  const rl = ring.loss, rb = ring.bayesLoss, rbin = ring.bin, rtb = ring.truthBin;
  const rf = ring.flags;
  const wPos = win.pos, wNeg = win.neg, wTruthPos = win.truthPos, wTruthNeg = win.truthNeg;
  const bPos = batch.pos, bNeg = batch.neg, bTruthPos = batch.truthPos;
  const bTruthNeg = batch.truthNeg;
  let allLoss = all.lossSum, allBayes = all.bayesSum;
  let wEvents = win.events, wLoss = win.lossSum, wCorrect = win.correct;
  let wPositives = win.positives, wTruthEvents = win.truthEvents, wBayes = win.bayesSum;
  let bEvents = batch.events, bLoss = batch.lossSum, bCorrect = batch.correct;
  let bPositives = batch.positives, bTruthEvents = batch.truthEvents, bBayes = batch.bayesSum;
  let next = ring.next, sinceResum = ring.sinceResum;
  for (let e = 0; e < n; e++) {
    const loss = losses[e], score = scores[e], label = labels[e], t = truth[e];
    const bin = binOf(score);
    const correct = (score >= 0.5 ? 1 : 0) === label;
    const hasTruth = t === t;
    const bayesLoss = hasTruth ? logLoss(t, label) : 0;
    const truthBin = hasTruth ? binOf(t) : 0;
    const flags = (label === 1 ? FLAG_LABEL : 0) | (correct ? FLAG_CORRECT : 0) |
      (hasTruth ? FLAG_TRUTH : 0);
    allLoss += loss;
    if (hasTruth) allBayes += bayesLoss;
    const i = next;
    if (wEvents === size) {
      // The event leaving the window, as `#addTo(win, …, -1)`.
      const f = rf[i], b = rbin[i];
      wEvents += -1;
      wLoss += -1 * rl[i];
      if (f & FLAG_CORRECT) wCorrect += -1;
      if (f & FLAG_LABEL) {
        wPositives += -1;
        wPos[b] += -1;
      } else {
        wNeg[b] += -1;
      }
      if (f & FLAG_TRUTH) {
        wTruthEvents += -1;
        wBayes += -1 * rb[i];
        if (f & FLAG_LABEL) wTruthPos[rtb[i]] += -1;
        else wTruthNeg[rtb[i]] += -1;
      }
    }
    // The event into the window and the batch, as `#addTo(…, 1)`.
    wEvents += 1;
    wLoss += 1 * loss;
    bEvents += 1;
    bLoss += 1 * loss;
    if (correct) wCorrect += 1, bCorrect += 1;
    if (label === 1) {
      wPositives += 1, bPositives += 1;
      bPos[bin] += 1;
      wPos[bin] += 1;
    } else {
      bNeg[bin] += 1;
      wNeg[bin] += 1;
    }
    if (hasTruth) {
      wTruthEvents += 1, bTruthEvents += 1;
      wBayes += 1 * bayesLoss;
      bBayes += 1 * bayesLoss;
      if (label === 1) {
        bTruthPos[truthBin] += 1;
        wTruthPos[truthBin] += 1;
      } else {
        bTruthNeg[truthBin] += 1;
        wTruthNeg[truthBin] += 1;
      }
    }
    rl[i] = loss;
    rb[i] = bayesLoss;
    rbin[i] = bin;
    rtb[i] = truthBin;
    rf[i] = flags;
    next = i + 1 === size ? 0 : i + 1;
    // Re-add the window's sums from the ring now and then (`#resum`).
    if (++sinceResum >= size) {
      sinceResum = 0;
      let sum = 0, bayes = 0;
      for (let k = 0; k < size; k++) {
        sum += rl[k];
        bayes += rb[k];
      }
      wLoss = sum;
      wBayes = bayes;
    }
  }
  all.lossSum = allLoss, all.bayesSum = allBayes;
  win.events = wEvents, win.lossSum = wLoss, win.correct = wCorrect;
  win.positives = wPositives, win.truthEvents = wTruthEvents, win.bayesSum = wBayes;
  batch.events = bEvents, batch.lossSum = bLoss, batch.correct = bCorrect;
  batch.positives = bPositives, batch.truthEvents = bTruthEvents, batch.bayesSum = bBayes;
  ring.next = next, ring.sinceResum = sinceResum;
}

/**
 * {@linkcode addBatchPass} with its window's bins added in bulk (`bulkWindowBins`: a batch of
 * [`AUC_BINS / 4`, `size`] events), and its score bins counted without a branch on the label or
 * the correctness (≈ 1 in 3 events is a purchase: branches on them were mispredicted, a third of the
 * pass's time). The batch's score bins go to `batchBins` (interleaved: the negatives of bin `b` at
 * `2b`, its positives at `2b + 1`) instead of `batch.pos` and `batch.neg`; those of the events
 * leaving the window to `leftBins` (the same layout) instead of `win.pos` and `win.neg`; the truth
 * bins likewise to `batchTruthBins` and `leftTruthBins`; the caller moves them there after the
 * pass (whole counts, the same in any order). Everything else, the sums
 * in event order included, is as `addBatchPass` does it, but for the ring's Bayes losses and truth
 * bins: left as they are (0) where neither the event nor the one it replaces has a truth.
 */
export function addBatchPassBulk(
  n: number,
  losses: Float64Array,
  scores: Float64Array,
  labels: Uint8Array,
  truth: Float64Array,
  all: Span,
  win: Span,
  batch: Span,
  ring: MetricsRing,
  size: number,
  batchBins: Int32Array,
  leftBins: Int32Array,
  batchTruthBins: Int32Array,
  leftTruthBins: Int32Array,
): void {
  const rl = ring.loss, rb = ring.bayesLoss, rbin = ring.bin, rtb = ring.truthBin;
  const rf = ring.flags;
  let allLoss = all.lossSum, allBayes = all.bayesSum;
  let wEvents = win.events, wLoss = win.lossSum, wCorrect = win.correct;
  let wPositives = win.positives, wTruthEvents = win.truthEvents, wBayes = win.bayesSum;
  let bEvents = batch.events, bLoss = batch.lossSum, bCorrect = batch.correct;
  let bPositives = batch.positives, bTruthEvents = batch.truthEvents, bBayes = batch.bayesSum;
  let next = ring.next, sinceResum = ring.sinceResum;
  for (let e = 0; e < n; e++) {
    const loss = losses[e], score = scores[e], label = labels[e], t = truth[e];
    const bin = binOf(score);
    const positive = +(label === 1);
    const correct = +(+(score >= 0.5) === label);
    const hasTruth = t === t;
    const bayesLoss = hasTruth ? logLoss(t, label) : 0;
    const truthBin = hasTruth ? binOf(t) : 0;
    allLoss += loss;
    if (hasTruth) allBayes += bayesLoss;
    const i = next;
    if (wEvents === size) {
      // The event leaving the window, as `#addTo(win, …, -1)`.
      const f = rf[i];
      wEvents += -1;
      wLoss += -1 * rl[i];
      wCorrect -= (f >> 1) & 1;
      wPositives -= f & FLAG_LABEL;
      leftBins[2 * rbin[i] + (f & FLAG_LABEL)]++;
      if (f & FLAG_TRUTH) {
        wTruthEvents += -1;
        wBayes += -1 * rb[i];
        leftTruthBins[2 * rtb[i] + (f & FLAG_LABEL)]++;
      }
    }
    // The event into the window and the batch, as `#addTo(…, 1)`.
    wEvents += 1;
    wLoss += 1 * loss;
    bEvents += 1;
    bLoss += 1 * loss;
    wCorrect += correct, bCorrect += correct;
    wPositives += positive, bPositives += positive;
    batchBins[2 * bin + positive]++; // a NaN score's bin is NaN: counted in no bin, as before
    if (hasTruth) {
      wTruthEvents += 1, bTruthEvents += 1;
      wBayes += 1 * bayesLoss;
      bBayes += 1 * bayesLoss;
      batchTruthBins[2 * truthBin + positive]++;
    }
    // A slot without a truth holds 0 for both (as every pass writes it): rewritten only when
    // either event has one (no truths: 1 MB less written per 100,000 events).
    if (hasTruth || (rf[i] & FLAG_TRUTH)) rb[i] = bayesLoss, rtb[i] = truthBin;
    rl[i] = loss;
    rbin[i] = bin;
    rf[i] = positive | (correct << 1) | (hasTruth ? FLAG_TRUTH : 0);
    next = i + 1 === size ? 0 : i + 1;
    // Re-add the window's sums from the ring now and then (`#resum`); the window is full then, so
    // with no truth in it every Bayes slot is 0 and so is their sum, read or not.
    if (++sinceResum >= size) {
      sinceResum = 0;
      let sum = 0, bayes = 0;
      if (wTruthEvents === 0) {
        for (let k = 0; k < size; k++) sum += rl[k];
      } else {
        for (let k = 0; k < size; k++) {
          sum += rl[k];
          bayes += rb[k];
        }
      }
      wLoss = sum;
      wBayes = bayes;
    }
  }
  all.lossSum = allLoss, all.bayesSum = allBayes;
  win.events = wEvents, win.lossSum = wLoss, win.correct = wCorrect;
  win.positives = wPositives, win.truthEvents = wTruthEvents, win.bayesSum = wBayes;
  batch.events = bEvents, batch.lossSum = bLoss, batch.correct = bCorrect;
  batch.positives = bPositives, batch.truthEvents = bTruthEvents, batch.bayesSum = bBayes;
  ring.next = next, ring.sinceResum = sinceResum;
}
