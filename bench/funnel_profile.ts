/**
 * How much of each generator profile's signal position alone explains, in-process (no Kafka):
 * for `--events` events of each profile it reports
 *
 * - the Bayes log loss (mean `−ln p` of the observed label under the generator's exact `p`), the
 *   Bayes AUC (exact, ties counted ½) and the constant-rate log loss (the in-hindsight rate);
 * - the log loss of the best **position-only** model — the in-hindsight purchase rate per
 *   session position (positions from 200 pooled), fit on the same events: an optimistic bound
 *   for any model that sees only position — and its share of the room left open,
 *   `(LL_pos − Bayes) / (const − Bayes)`; the same for the per-page-class rate;
 * - a **visible-features** model: the project's learner (adagrad, prequential, micro-batches of
 *   10,000) over what a featurizer can see of the funnel (one-hot page class, previous page
 *   class, hour of day and day of week; `ln(1 + x)` of the earlier actions by action, the
 *   spend, the seconds since start and since the previous event; position transforms), and its
 *   share of the room;
 * - over the four actions, the multi-class Bayes log loss (`−ln p(observed action)`) and that of
 *   the constant class frequencies;
 * - for the funnel: simulated days, distinct paths, the largest gap within a session, sessions
 *   and their mean length, the share of sessions by a returning user.
 *
 * ```sh
 * deno run -A bench/funnel_profile.ts [--events 1000000] [--seed 42] [--json FILE]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ACTIONS } from "../src/events/wire.ts";
import { createGenerator } from "../src/generator/create_generator.ts";
import { FunnelGenerator } from "../src/generator/funnel_generator.ts";
import { PAGE_CLASSES } from "../src/generator/funnel_model.ts";
import { type Profile, PROFILES } from "../src/generator/generator.ts";
import { FeatureBatch } from "../src/learn/feature_batch.ts";
import { logLoss } from "../src/learn/logistic.ts";
import { LogisticModel } from "../src/learn/model.ts";
import { FunnelViewReader } from "../tests/generator/_funnel_view.ts";

const POSITIONS = 200;
const BATCH = 10_000;
const C = PAGE_CLASSES.length;

/** The visible-features model's row. */
const VISIBLE_FEATURES = [
  ...PAGE_CLASSES.map((c) => `page_${c}`),
  "previous_none",
  ...PAGE_CLASSES.map((c) => `previous_${c}`),
  ...Array.from({ length: 24 }, (_, h) => `hour_${h}`),
  ...Array.from({ length: 7 }, (_, d) => `day_${d}`),
  ...ACTIONS.map((a) => `log1p_earlier_${a}`),
  "log1p_spend",
  "log1p_seconds_since_start",
  "log1p_seconds_since_previous",
  "log_position",
  "inv_position",
  "position_capped",
];

/** What one profile's run measured. */
export interface ProfileReport {
  profile: Profile;
  events: number;
  seed: number;
  purchaseRate: number;
  bayesLogLoss: number;
  bayesAuc: number;
  constantLogLoss: number;
  positionOnlyLogLoss: number;
  positionOnlyShareOpen: number;
  pageOnlyLogLoss: number;
  pageOnlyShareOpen: number;
  visibleModelLogLoss: number;
  visibleModelShareOpen: number;
  multiclassBayesLogLoss: number;
  multiclassConstantLogLoss: number;
  actionFrequencies: Record<string, number>;
  funnel: {
    simulatedDays: number;
    distinctPaths: number;
    largestGapSeconds: number;
    sessions: number;
    meanSessionLength: number;
    returningShare: number;
    meanOpenSessions: number;
  } | null;
  seconds: number;
}

function tableLogLoss(events: Float64Array, purchases: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i] === 0) continue;
    const r = purchases[i] / events[i];
    if (r > 0) sum -= purchases[i] * Math.log(r);
    if (r < 1) sum -= (events[i] - purchases[i]) * Math.log(1 - r);
  }
  return sum / n;
}

/** The exact ROC AUC of scores `p` for `labels`, ties counted ½. */
function exactAuc(p: Float64Array, labels: Uint8Array): number {
  const order = Uint32Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let positives = 0, negatives = 0, rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && p[order[j]] === p[order[i]]) j++;
    const midRank = (i + j + 1) / 2; // ranks i+1..j
    for (let k = i; k < j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += midRank;
      } else negatives++;
    }
    i = j;
  }
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

/** Runs one profile. */
export function measure(profile: Profile, events: number, seed: number): ProfileReport {
  const t0 = performance.now();
  const gen = createGenerator(profile, { seed });
  const reader = new FunnelViewReader();
  const model = new LogisticModel(VISIBLE_FEATURES, { mode: "adagrad" });
  const width = VISIBLE_FEATURES.length;
  const batch = new FeatureBatch(width, { capacity: BATCH });
  const p = new Float64Array(events);
  const labels = new Uint8Array(events);
  const posEvents = new Float64Array(POSITIONS + 1), posPurchases = new Float64Array(POSITIONS + 1);
  const pageEvents = new Float64Array(C), pagePurchases = new Float64Array(C);
  const actionCounts = new Float64Array(4);
  const paths = new Set<string>();
  const lastSeen = new Map<string, number>();
  let bayes = 0, multiBayes = 0, modelLoss = 0, largestGap = 0, openSum = 0;
  let first = 0, last = 0;
  const funnel = gen instanceof FunnelGenerator ? gen : null;
  for (let done = 0; done < events;) {
    batch.clear();
    const n = Math.min(BATCH, events - done);
    for (let i = 0; i < n; i++) {
      const e = gen.next();
      const probs = gen.actionProbabilities;
      const a = ACTIONS.indexOf(e.action);
      const y = a === 3 ? 1 : 0;
      const q = probs[3];
      const index = done + i;
      p[index] = q;
      labels[index] = y;
      bayes += logLoss(q, y);
      multiBayes -= Math.log(probs[a]);
      actionCounts[a]++;
      const k = Math.min(gen.position, POSITIONS);
      posEvents[k]++;
      posPurchases[k] += y;
      const v = reader.view(e);
      pageEvents[v.page]++;
      pagePurchases[v.page] += y;
      const row = batch.add();
      const o = row * width;
      batch.rows.fill(0, o, o + width);
      batch.rows[o + v.page] = 1;
      batch.rows[o + C + 1 + v.previous] = 1; // previous −1 (none) is column C
      batch.rows[o + 2 * C + 1 + v.hour] = 1;
      batch.rows[o + 2 * C + 25 + v.dayOfWeek] = 1;
      let j = o + 2 * C + 32;
      for (let b = 0; b < 4; b++) batch.rows[j++] = Math.log1p(v.actionCounts[b]);
      batch.rows[j++] = Math.log1p(v.spend);
      batch.rows[j++] = Math.log1p(v.secondsSinceStart);
      batch.rows[j++] = Math.log1p(v.secondsSincePrevious);
      batch.rows[j++] = Math.log(v.position);
      batch.rows[j++] = 1 / v.position;
      batch.rows[j++] = Math.min(v.position, 100);
      batch.labels[row] = y;
      batch.truth[row] = q;
      reader.observe(e);
      if (funnel !== null) {
        if (index === 0) first = e.timestamp;
        last = e.timestamp;
        const cut = e.url.indexOf("?");
        paths.add(cut < 0 ? e.url : e.url.slice(0, cut));
        const previous = lastSeen.get(e.session_id);
        if (previous !== undefined) largestGap = Math.max(largestGap, e.timestamp - previous);
        lastSeen.set(e.session_id, e.timestamp);
        openSum += funnel.activeSessions;
      }
    }
    model.processBatch(batch);
    for (let i = 0; i < n; i++) modelLoss += logLoss(batch.scores[i], batch.labels[i]);
    done += n;
  }
  bayes /= events;
  multiBayes /= events;
  modelLoss /= events;
  const positives = posPurchases.reduce((s, x) => s + x, 0);
  const r = positives / events;
  const constant = -(r * Math.log(r) + (1 - r) * Math.log(1 - r));
  const positionOnly = tableLogLoss(posEvents, posPurchases, events);
  const pageOnly = tableLogLoss(pageEvents, pagePurchases, events);
  let multiConstant = 0;
  const actionFrequencies: Record<string, number> = {};
  for (let a = 0; a < 4; a++) {
    const f = actionCounts[a] / events;
    actionFrequencies[ACTIONS[a]] = f;
    if (f > 0) multiConstant -= f * Math.log(f);
  }
  const share = (ll: number) => (ll - bayes) / (constant - bayes);
  return {
    profile,
    events,
    seed,
    purchaseRate: r,
    bayesLogLoss: bayes,
    bayesAuc: exactAuc(p, labels),
    constantLogLoss: constant,
    positionOnlyLogLoss: positionOnly,
    positionOnlyShareOpen: share(positionOnly),
    pageOnlyLogLoss: pageOnly,
    pageOnlyShareOpen: share(pageOnly),
    visibleModelLogLoss: modelLoss,
    visibleModelShareOpen: share(modelLoss),
    multiclassBayesLogLoss: multiBayes,
    multiclassConstantLogLoss: multiConstant,
    actionFrequencies,
    funnel: funnel === null ? null : {
      simulatedDays: (last - first) / 86400,
      distinctPaths: paths.size,
      largestGapSeconds: largestGap,
      sessions: funnel.sessions,
      meanSessionLength: events / funnel.sessions,
      returningShare: funnel.returningSessions / funnel.sessions,
      meanOpenSessions: openSum / events,
    },
    seconds: (performance.now() - t0) / 1000,
  };
}

function format(r: ProfileReport): string {
  const f = (x: number, d = 4) => x.toFixed(d);
  const lines = [
    `profile ${r.profile}: ${r.events} events, seed ${r.seed} (${f(r.seconds, 1)} s)`,
    `  purchase rate ${f(r.purchaseRate)}; actions ${
      Object.entries(r.actionFrequencies).map(([a, x]) => `${a} ${f(x)}`).join(", ")
    }`,
    `  log loss: Bayes ${f(r.bayesLogLoss)} (AUC ${f(r.bayesAuc)}), constant ${
      f(r.constantLogLoss)
    }`,
    `  position-only (in-hindsight table) ${f(r.positionOnlyLogLoss)}: ${
      f(100 * r.positionOnlyShareOpen, 1)
    }% of the room left open`,
    `  page-class-only (in-hindsight table) ${f(r.pageOnlyLogLoss)}: ${
      f(100 * r.pageOnlyShareOpen, 1)
    }% open`,
    `  visible-features adagrad (prequential) ${f(r.visibleModelLogLoss)}: ${
      f(100 * r.visibleModelShareOpen, 1)
    }% open`,
    `  multi-class log loss: Bayes ${f(r.multiclassBayesLogLoss)}, constant class frequencies ${
      f(r.multiclassConstantLogLoss)
    }`,
  ];
  if (r.funnel !== null) {
    const u = r.funnel;
    lines.push(
      `  ${
        f(u.simulatedDays, 2)
      } simulated days, ${u.distinctPaths} distinct paths, largest gap ${u.largestGapSeconds} s, ${u.sessions} sessions of ${
        f(u.meanSessionLength, 2)
      } events, ${f(100 * u.returningShare, 1)}% by a returning user, ${
        f(u.meanOpenSessions, 1)
      } open on average`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      events: { type: "string", default: "1000000" },
      seed: { type: "string", default: "42" },
      json: { type: "string" },
    },
    strict: true,
  });
  const events = Number(values.events), seed = Number(values.seed);
  if (!Number.isInteger(events) || events < 1) {
    throw new RangeError(`--events ${values.events}: expected a positive integer`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`--seed ${values.seed}: expected an integer`);
  const reports = PROFILES.map((profile) => measure(profile, events, seed));
  for (const r of reports) console.log(format(r) + "\n");
  if (values.json !== undefined) {
    await Deno.writeTextFile(values.json, JSON.stringify(reports, null, 2) + "\n");
  }
}
