/**
 * CPU of `learn`'s per-batch bookkeeping alone, per 2M rows: the prequential metrics (the
 * losses by `logLosses`, `PrequentialMetrics.addBatchSummary`, and `snapshot()` as the publisher
 * asks for it) and the purchases (`PurchaseAggregate.addAt`, or `add` in a checkout without it,
 * then `top(1000)` as the publisher asks for it), batch by batch as the learn stage runs them.
 * The rows are the same for every checkout: the generator's events (`SessionGenerator`, seed 5,
 * of the first `--src`), labelled purchase or not (a third are purchases, with their users and
 * amounts), with synthetic scores (a fixed LCG: noisy probabilities) and no truths (as `shop`'s
 * rows; `--truth` gives every row one). The `--src` checkouts are run in turn in one process, `--rounds`
 * times; prints each one's medians and its ratio to the first, with the load average, and a hash
 * of every summary, the metrics' state, the rankings served and the purchases' state, which must
 * be equal across checkouts.
 *
 * ```sh
 * deno run -A bench/metrics_purchases.ts [--src /work/base/src,src] [--rows 2000000] [--batch 100000]
 *                                        [--rounds 7] [--truth]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    src: { type: "string", default: new URL("../src", import.meta.url).pathname },
    rows: { type: "string", default: "2000000" },
    batch: { type: "string", default: "100000" },
    rounds: { type: "string", default: "7" },
    truth: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows), BATCH = Number(values.batch), ROUNDS = Number(values.rounds);
for (const [name, v] of [["--rows", ROWS], ["--batch", BATCH], ["--rounds", ROUNDS]] as const) {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name} must be an integer ≥ 1, got ${v}`);
  }
}

const srcs = values.src!.split(",").map((s) => pathToFileURL(resolve(s)).href);
const { SessionGenerator } = await import(`${srcs[0]}/generator/session_generator.ts`);
const generator = new SessionGenerator({ seed: 5 });
// The scores: a fixed LCG, so that every checkout sees the same numbers.
let seed = 5;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const batches: {
  length: number;
  scores: Float64Array;
  labels: Uint8Array;
  truth: Float64Array;
  userId: Float64Array;
  amount: Float64Array;
  purchases: number;
}[] = [];
for (let done = 0; done < ROWS;) {
  const n = Math.min(BATCH, ROWS - done);
  const b = {
    length: n,
    scores: new Float64Array(n),
    labels: new Uint8Array(n),
    truth: new Float64Array(n).fill(NaN),
    userId: new Float64Array(n),
    amount: new Float64Array(n),
    purchases: 0,
  };
  for (let i = 0; i < n; i++) {
    const e = generator.next();
    const label = e.action === "purchase" ? 1 : 0;
    const p = 1 / (1 + Math.exp(-(rand() * 2 - 1.7 + label)));
    b.scores[i] = p;
    b.labels[i] = label;
    if (values.truth) b.truth[i] = Math.round(p * 50) / 50;
    if (label === 1) {
      // The learn stage's purchase columns, compacted: the k-th purchase at k.
      b.userId[b.purchases] = e.user_id;
      b.amount[b.purchases++] = e.amount;
    }
  }
  batches.push(b);
  done += n;
}

const checkouts = [];
for (const src of srcs) {
  checkouts.push({
    src,
    PrequentialMetrics: (await import(`${src}/learn/metrics.ts`)).PrequentialMetrics,
    logLosses: (await import(`${src}/learn/logistic.ts`)).logLosses,
    PurchaseAggregate: (await import(`${src}/stream/purchases.ts`)).PurchaseAggregate,
  });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const hash = (s: string) => {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
};
const losses = new Float64Array(BATCH);
const results = checkouts.map(() => ({ metrics: [] as number[], purchases: [] as number[] }));
const hashes = checkouts.map(() => ({ metrics: 0, purchases: 0 }));
for (let round = 0; round < ROUNDS; round++) {
  checkouts.forEach((c, k) => {
    const metrics = new c.PrequentialMetrics();
    const out: unknown[] = [];
    let t = cpuMs();
    for (const b of batches) {
      c.logLosses(b.scores, b.labels, b.length, losses);
      out.push(metrics.addBatchSummary(b, losses), metrics.snapshot());
    }
    results[k].metrics.push(cpuMs() - t);
    hashes[k].metrics = hash(JSON.stringify([out, metrics.toJSON()]));
    const purchases = new c.PurchaseAggregate();
    const tops: unknown[] = [];
    t = cpuMs();
    for (const b of batches) {
      if (purchases.addAt) {
        for (let i = 0; i < b.purchases; i++) purchases.addAt(b.userId, b.amount, i);
      } else {
        for (let i = 0; i < b.purchases; i++) purchases.add(b.userId[i], b.amount[i]);
      }
      tops.push(purchases.top(1000));
    }
    results[k].purchases.push(cpuMs() - t);
    hashes[k].purchases = hash(JSON.stringify([tops, purchases.toJSON()]));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const perTwoMillion = (ms: number) => (ms * 2_000_000 / ROWS).toFixed(1);
const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(
  `CPU ms per 2M rows, medians of ${ROUNDS} (batches of ${BATCH}, ${
    values.truth ? "with" : "no"
  } truths), load ${load}`,
);
console.log("| checkout | metrics | ratio | purchases | ratio | hashes (metrics, purchases) |");
console.log("| --- | --: | --: | --: | --: | --- |");
const first = { m: median(results[0].metrics), p: median(results[0].purchases) };
checkouts.forEach((_, k) => {
  const m = median(results[k].metrics), p = median(results[k].purchases);
  console.log(
    `| ${values.src!.split(",")[k]} | ${perTwoMillion(m)} | ${(m / first.m).toFixed(2)} | ${
      perTwoMillion(p)
    } | ${(p / first.p).toFixed(2)} | ${hashes[k].metrics}, ${hashes[k].purchases} |`,
  );
});
