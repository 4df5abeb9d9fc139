import assert from "node:assert/strict";
import { ACTIONS, type WireEvent } from "../../src/events/wire.ts";
import { FUNNEL_START, FunnelGenerator } from "../../src/generator/funnel_generator.ts";
import { MAX_DWELL_SECONDS } from "../../src/generator/funnel_site.ts";
import {
  CART,
  CHECKOUT,
  dayOfWeek,
  funnelActionProbabilities,
  hourOfDay,
  NO_PAGE,
  PAGE_CLASSES,
  PRODUCT,
} from "../../src/generator/funnel_model.ts";
import { FunnelViewReader } from "./_funnel_view.ts";

const IDLE_SECONDS = 1800; // the session store's default idle expiry (src/learn/session_store.ts)
const N = 1_000_000;
const URL = new RegExp(
  "^(/home|/search|/category/\\d+|/product/\\d+|/cart|/checkout|/about|/blog/\\d+)" +
    "(\\?[a-zA-Z]{6}|\\?q=[a-z]{2,8})?$",
);

/** |hits − expected| within `z` standard errors, for a sum of Bernoulli draws of variance `v`. */
function withinError(hits: number, expected: number, variance: number, z = 5): boolean {
  return Math.abs(hits - expected) <= z * Math.sqrt(variance);
}

/** Everything the 1M-event checks need, gathered in one pass (each check reads its part). */
interface Stream {
  firstTimestamp: number;
  lastTimestamp: number;
  paths: Set<string>;
  maxGap: number;
  minGap: number;
  backwards: number;
  badUrls: string[];
  landings: Float64Array;
  checkoutsNotAfterCart: number;
  mismatches: string[];
  worstSum: number;
  classEvents: Float64Array;
  classPurchases: Float64Array;
  classP: Float64Array;
  classV: Float64Array;
  /** Per class × action: observed count, Σ p, Σ p(1 − p). */
  actionHits: Float64Array;
  actionP: Float64Array;
  actionV: Float64Array;
  hourEvents: Float64Array;
  hourPurchases: Float64Array;
  dayEvents: Float64Array;
  binHits: Float64Array;
  binP: Float64Array;
  binV: Float64Array;
  binN: Float64Array;
  sessions: number;
  returning: number;
  generatorReturning: number;
  generatorSessions: number;
  badAmounts: number;
}

const BIN_EDGES = [0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

let stream: Stream | undefined;
function oneMillion(): Stream {
  if (stream !== undefined) return stream;
  const gen = new FunnelGenerator({ seed: 2024 });
  const reader = new FunnelViewReader();
  const expected = new Float64Array(4);
  const C = PAGE_CLASSES.length, B = BIN_EDGES.length;
  const s: Stream = {
    firstTimestamp: 0,
    lastTimestamp: 0,
    paths: new Set(),
    maxGap: -Infinity,
    minGap: Infinity,
    backwards: 0,
    badUrls: [],
    landings: new Float64Array(C),
    checkoutsNotAfterCart: 0,
    mismatches: [],
    worstSum: 0,
    classEvents: new Float64Array(C),
    classPurchases: new Float64Array(C),
    classP: new Float64Array(C),
    classV: new Float64Array(C),
    actionHits: new Float64Array(C * 4),
    actionP: new Float64Array(C * 4),
    actionV: new Float64Array(C * 4),
    hourEvents: new Float64Array(24),
    hourPurchases: new Float64Array(24),
    dayEvents: new Float64Array(7),
    binHits: new Float64Array(B),
    binP: new Float64Array(B),
    binV: new Float64Array(B),
    binN: new Float64Array(B),
    sessions: 0,
    returning: 0,
    generatorReturning: 0,
    generatorSessions: 0,
    badAmounts: 0,
  };
  const users = new Set<number>();
  let previousTimestamp = -Infinity;
  for (let i = 0; i < N; i++) {
    const e = gen.next();
    const probs = gen.actionProbabilities;
    const view = reader.view(e);
    funnelActionProbabilities(view, expected);
    for (let a = 0; a < 4; a++) {
      if (probs[a] !== expected[a] && s.mismatches.length < 5) {
        s.mismatches.push(`event ${i} ${ACTIONS[a]}: ${probs[a]} vs ${expected[a]}`);
      }
    }
    s.worstSum = Math.max(s.worstSum, Math.abs(probs[0] + probs[1] + probs[2] + probs[3] - 1));
    if (gen.probability !== probs[3] && s.mismatches.length < 5) {
      s.mismatches.push(`event ${i}: probability ${gen.probability} vs ${probs[3]}`);
    }
    if (i === 0) s.firstTimestamp = e.timestamp;
    s.lastTimestamp = e.timestamp;
    if (e.timestamp < previousTimestamp) s.backwards++;
    previousTimestamp = e.timestamp;
    if (!URL.test(e.url) && s.badUrls.length < 5) s.badUrls.push(e.url);
    const q = e.url.indexOf("?");
    s.paths.add(q < 0 ? e.url : e.url.slice(0, q));
    const c = view.page;
    if (view.previous === NO_PAGE) {
      s.landings[c]++;
      s.sessions++;
      if (users.has(e.user_id)) s.returning++;
      assert.equal(gen.startedSession, true);
    } else {
      s.maxGap = Math.max(s.maxGap, view.secondsSincePrevious);
      s.minGap = Math.min(s.minGap, view.secondsSincePrevious);
    }
    if (c === CHECKOUT && view.previous !== CART) s.checkoutsNotAfterCart++;
    const a = ACTIONS.indexOf(e.action);
    const y = a === 3 ? 1 : 0;
    const p = probs[3];
    s.classEvents[c]++;
    s.classPurchases[c] += y;
    s.classP[c] += p;
    s.classV[c] += p * (1 - p);
    for (let b = 0; b < 4; b++) {
      s.actionHits[c * 4 + b] += a === b ? 1 : 0;
      s.actionP[c * 4 + b] += probs[b];
      s.actionV[c * 4 + b] += probs[b] * (1 - probs[b]);
    }
    const h = hourOfDay(e.timestamp);
    s.hourEvents[h]++;
    s.hourPurchases[h] += y;
    s.dayEvents[dayOfWeek(e.timestamp)]++;
    let bin = B - 1;
    while (p < BIN_EDGES[bin]) bin--;
    s.binN[bin]++;
    s.binHits[bin] += y;
    s.binP[bin] += p;
    s.binV[bin] += p * (1 - p);
    const amountOk = y === 1
      ? e.amount !== undefined && Number.isFinite(e.amount) && e.amount >= 5 &&
        Math.abs(Math.round(e.amount * 100) - e.amount * 100) < 1e-6
      : !("amount" in e);
    if (!amountOk) s.badAmounts++;
    reader.observe(e);
    users.add(e.user_id);
  }
  s.generatorReturning = gen.returningSessions;
  s.generatorSessions = gen.sessions;
  stream = s;
  return s;
}

Deno.test("FunnelGenerator over 1M events: the stream has the funnel's structure", async (t) => {
  const s = oneMillion();
  await t.step("the exposed probabilities are the model's on what a featurizer sees", () => {
    assert.deepEqual(s.mismatches, []);
    assert.ok(s.worstSum < 1e-12, `action probabilities sum off by ${s.worstSum}`);
  });
  await t.step("at least 14 simulated days (UTC) from Monday 2026-01-05", () => {
    assert.equal(s.firstTimestamp, FUNNEL_START);
    assert.equal(new Date(FUNNEL_START * 1000).toISOString(), "2026-01-05T00:00:00.000Z");
    assert.equal(dayOfWeek(FUNNEL_START), 1);
    const days = (s.lastTimestamp - s.firstTimestamp) / 86400;
    assert.ok(days >= 14, `${days} days`);
    assert.equal(s.backwards, 0);
  });
  await t.step("at least 5,000 distinct paths, all well-formed urls", () => {
    assert.ok(s.paths.size >= 5000, `${s.paths.size} paths`);
    assert.deepEqual(s.badUrls, []);
  });
  await t.step("gaps within a session stay below the idle expiry", () => {
    assert.ok(s.maxGap < IDLE_SECONDS, `largest gap ${s.maxGap} s`);
    assert.ok(s.maxGap <= MAX_DWELL_SECONDS + 60, `largest gap ${s.maxGap} s`);
    assert.ok(s.minGap >= 0);
  });
  await t.step("sessions land on neither cart nor checkout; checkout follows the cart", () => {
    assert.equal(s.landings[CART], 0);
    assert.equal(s.landings[CHECKOUT], 0);
    assert.equal(s.checkoutsNotAfterCart, 0);
    assert.ok(s.classEvents[CHECKOUT] > 10_000, `${s.classEvents[CHECKOUT]} checkouts`);
  });
  await t.step("purchases: checkout > cart > product > every other page", () => {
    const rate = (c: number) => s.classPurchases[c] / s.classEvents[c];
    assert.ok(rate(CHECKOUT) > rate(CART), `checkout ${rate(CHECKOUT)}, cart ${rate(CART)}`);
    assert.ok(rate(CART) > rate(PRODUCT), `cart ${rate(CART)}, product ${rate(PRODUCT)}`);
    for (let c = 0; c < PAGE_CLASSES.length; c++) {
      if (c === CHECKOUT || c === CART || c === PRODUCT || s.classEvents[c] === 0) continue;
      assert.ok(rate(PRODUCT) > rate(c), `product ${rate(PRODUCT)}, ${PAGE_CLASSES[c]} ${rate(c)}`);
    }
  });
  await t.step("calibration: purchases per probability bin match the bin's Σ p", () => {
    let tested = 0;
    for (let b = 0; b < BIN_EDGES.length; b++) {
      if (s.binV[b] < 25) continue;
      assert.ok(
        withinError(s.binHits[b], s.binP[b], s.binV[b]),
        `bin ≥ ${BIN_EDGES[b]}: ${s.binHits[b]} purchases of ${s.binN[b]}, Σ p ${s.binP[b]}`,
      );
      tested++;
    }
    assert.ok(tested >= 10, `only ${tested} bins tested`);
  });
  await t.step("calibration: each action per page class matches its Σ p", () => {
    let tested = 0;
    for (let c = 0; c < PAGE_CLASSES.length; c++) {
      for (let a = 0; a < 4; a++) {
        const j = c * 4 + a;
        if (s.actionV[j] < 25) continue;
        assert.ok(
          withinError(s.actionHits[j], s.actionP[j], s.actionV[j]),
          `${PAGE_CLASSES[c]} ${ACTIONS[a]}: ${s.actionHits[j]} vs Σ p ${s.actionP[j]}`,
        );
        tested++;
      }
    }
    assert.ok(tested >= 30, `only ${tested} cells tested`);
  });
  await t.step("daily and weekly cycles of traffic and conversion", () => {
    const most = Math.max(...s.hourEvents), least = Math.min(...s.hourEvents);
    assert.ok(most / least > 2.5, `events per hour of day from ${least} to ${most}`);
    assert.ok(s.hourEvents[19] > 2.5 * s.hourEvents[7]);
    const conversion = (hours: number[]) =>
      hours.reduce((x, h) => x + s.hourPurchases[h], 0) /
      hours.reduce((x, h) => x + s.hourEvents[h], 0);
    assert.ok(conversion([19, 20, 21]) > 1.3 * conversion([7, 8, 9]));
    // 21 days: three of each weekday; weekend days carry 1.2 / 0.92 the traffic
    const weekend = (s.dayEvents[0] + s.dayEvents[6]) / 2;
    const weekday = (s.dayEvents[1] + s.dayEvents[2] + s.dayEvents[3] + s.dayEvents[4]) / 4;
    assert.ok(weekend > 1.15 * weekday, `weekend ${weekend}, weekday ${weekday} events/day`);
  });
  await t.step("30% of sessions belong to a returning user", () => {
    assert.equal(s.sessions, s.generatorSessions);
    assert.equal(s.returning, s.generatorReturning);
    const n = s.sessions;
    assert.ok(n > 200_000, `${n} sessions`);
    assert.ok(withinError(s.returning, 0.3 * n, 0.3 * 0.7 * n), `${s.returning} of ${n}`);
  });
  await t.step("a purchase carries an amount in cents, nothing else does", () => {
    assert.equal(s.badAmounts, 0);
  });
});

Deno.test("FunnelGenerator gives reproducible streams for a seed and different ones for another", () => {
  const take = (seed: number) => {
    const g = new FunnelGenerator({ seed });
    return Array.from({ length: 20_000 }, () => g.next());
  };
  assert.deepStrictEqual(take(5), take(5));
  assert.notDeepStrictEqual(take(5), take(6));
});

Deno.test("FunnelGenerator shards: disjoint sessions and users, aligned clocks", () => {
  const count = 4;
  const shards = Array.from(
    { length: count },
    (_, index) => new FunnelGenerator({ seed: 42, shard: { index, count } }),
  );
  const sessionShard = new Map<string, number>(), userShard = new Map<number, number>();
  let starts = 0, last = 0;
  for (let round = 0; round < 100_000; round++) {
    const events = shards.map((g) => g.next());
    for (let i = 0; i < count; i++) {
      const e = events[i];
      assert.equal(e.timestamp, events[0].timestamp, `round ${round}`);
      if (shards[i].startedSession) {
        assert.equal(sessionShard.has(e.session_id), false, `session ${e.session_id} reused`);
        starts++;
      }
      assert.equal(sessionShard.get(e.session_id) ?? i, i);
      assert.equal(userShard.get(e.user_id) ?? i, i);
      assert.equal(e.user_id % count, (i + 1) % count);
      sessionShard.set(e.session_id, i);
      userShard.set(e.user_id, i);
    }
    last = events[0].timestamp;
  }
  assert.equal(sessionShard.size, starts);
  // 400k events of 4 shards span what 400k unsharded events do: 400k / 0.55 s ≈ 8.4 days
  const days = (last - FUNNEL_START) / 86400;
  assert.ok(days > 7.5 && days < 9.5, `${days} days`);
});

Deno.test("FunnelGenerator drifts at driftAt: conversion moves from the cart to the product page", () => {
  const driftAt = 300_000;
  const gen = new FunnelGenerator({ seed: 8, driftAt });
  const reader = new FunnelViewReader();
  const expected = new Float64Array(4);
  const events = [new Float64Array(9), new Float64Array(9)];
  const purchases = [new Float64Array(9), new Float64Array(9)];
  for (let i = 0; i < 2 * driftAt; i++) {
    const e: WireEvent = gen.next();
    const drifted = i >= driftAt;
    const view = reader.view(e, drifted);
    funnelActionProbabilities(view, expected);
    const probs = gen.actionProbabilities;
    for (let a = 0; a < 4; a++) {
      if (probs[a] !== expected[a]) assert.fail(`event ${i} ${ACTIONS[a]}: ${probs[a]}`);
    }
    const half = drifted ? 1 : 0;
    events[half][view.page]++;
    if (e.action === "purchase") purchases[half][view.page]++;
    reader.observe(e);
  }
  const rate = (half: number, c: number) => purchases[half][c] / events[half][c];
  assert.ok(
    rate(1, PRODUCT) > 2 * rate(0, PRODUCT),
    `product ${rate(0, PRODUCT)} → ${rate(1, PRODUCT)}`,
  );
  assert.ok(rate(1, CART) < 0.7 * rate(0, CART), `cart ${rate(0, CART)} → ${rate(1, CART)}`);
});

Deno.test("FunnelGenerator uses an injected clock for timestamps and probabilities", () => {
  let now = 1_800_000_000;
  const gen = new FunnelGenerator({ seed: 3, clock: () => now });
  const reader = new FunnelViewReader();
  const expected = new Float64Array(4);
  for (let i = 0; i < 5000; i++) {
    if (i % 100 === 0) now += 3600;
    const e = gen.next();
    assert.equal(e.timestamp, now);
    assert.deepEqual(gen.actionProbabilities, funnelActionProbabilities(reader.view(e), expected));
    reader.observe(e);
  }
});

Deno.test("FunnelGenerator rejects bad options with a RangeError naming the value", async (t) => {
  for (
    const [name, options] of [
      ["meanEventsPerSecond 0", { meanEventsPerSecond: 0 }],
      ["returningUserShare 1.5", { returningUserShare: 1.5 }],
      ["simulatedStart 0.5", { simulatedStart: 0.5 }],
      ["shard.index 4", { shard: { index: 4, count: 4 } }],
      ["shard.count 0", { shard: { index: 0, count: 0 } }],
      ["driftAt -1", { driftAt: -1 }],
    ] as const
  ) {
    await t.step(name, () => {
      assert.throws(
        () => new FunnelGenerator(options),
        (e: Error) => e instanceof RangeError && e.message.includes(name),
      );
    });
  }
});
