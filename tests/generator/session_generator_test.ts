import assert from "node:assert/strict";
import { SessionGenerator, URL_PATHS } from "../../src/generator/session_generator.ts";

/** |observed - expected| within `z` standard errors of a binomial proportion. */
function withinSamplingError(hits: number, n: number, p: number, z = 5): boolean {
  return Math.abs(hits / n - p) <= z * Math.sqrt(p * (1 - p) / n);
}

Deno.test("SessionGenerator over 1M events: purchase rate by position is min(0.02 + 0.03k, 0.5) and 5% of events start a session", () => {
  const gen = new SessionGenerator({ seed: 42 });
  const n = 1_000_000;
  const events = new Float64Array(200), purchases = new Float64Array(200);
  let starts = 0, all = 0;
  for (let i = 0; i < n; i++) {
    const e = gen.next();
    const k = Math.min(gen.position, 199);
    events[k]++;
    if (e.action === "purchase") {
      purchases[k]++;
      all++;
    }
    if (gen.startedSession) starts++;
    assert.equal(gen.probability, Math.min(0.02 + 0.03 * gen.position, 0.5));
  }
  let tested = 0;
  for (let k = 1; k < 199; k++) {
    if (events[k] < 1000) continue;
    const p = Math.min(0.02 + 0.03 * k, 0.5);
    assert.ok(
      withinSamplingError(purchases[k], events[k], p),
      `position ${k}: ${purchases[k]}/${events[k]} vs ${p}`,
    );
    tested++;
  }
  assert.ok(tested >= 25, `only ${tested} positions had 1000 events`);
  // the first event always starts a session; the others do with probability 0.05
  assert.ok(withinSamplingError(starts - 1, n - 1, 0.05), `starts ${starts}`);
  // docs/design.md: after warm-up the purchase rate is about 0.321 (this includes warm-up)
  assert.ok(Math.abs(all / n - 0.321) < 0.01, `purchase rate ${all / n}`);
});

Deno.test("SessionGenerator gives reproducible streams for a seed and different ones for another", () => {
  const a = new SessionGenerator({ seed: 5 }), b = new SessionGenerator({ seed: 5 });
  const c = new SessionGenerator({ seed: 6 });
  const sa = Array.from({ length: 20_000 }, () => a.next());
  const sb = Array.from({ length: 20_000 }, () => b.next());
  const sc = Array.from({ length: 20_000 }, () => c.next());
  assert.deepStrictEqual(sa, sb);
  assert.notDeepStrictEqual(sa, sc);
});

Deno.test("SessionGenerator writes valid wire events with the original's distributions", () => {
  const gen = new SessionGenerator({ seed: 3 });
  const path = new RegExp(`^(${URL_PATHS.join("|")})\\?[a-zA-Z]{6}$`);
  const n = 50_000;
  const actions = new Map<string, number>(), paths = new Map<string, number>();
  let browse = 0, amounts = 0, amountSum = 0;
  for (let i = 0; i < n; i++) {
    const e = gen.next();
    const p = e.url.slice(0, e.url.indexOf("?"));
    paths.set(p, (paths.get(p) ?? 0) + 1);
    if (e.action === "purchase") {
      amounts++;
      amountSum += e.amount!;
    } else {
      browse++;
      actions.set(e.action, (actions.get(e.action) ?? 0) + 1);
    }
    assert.match(e.session_id, /^[a-z0-9]{10}$/);
    assert.match(e.url, path);
    assert.ok(Number.isInteger(e.user_id) && e.user_id >= 1 && e.user_id <= 100_000);
    assert.ok(Number.isInteger(e.timestamp));
    if (e.action === "purchase") {
      assert.ok(e.amount !== undefined && e.amount >= 5 && e.amount <= 500);
      assert.equal(Math.round(e.amount * 100) / 100, e.amount);
    } else {
      assert.ok(["click", "view", "scroll"].includes(e.action));
      assert.equal("amount" in e, false);
    }
  }
  for (const a of ["click", "view", "scroll"]) {
    assert.ok(withinSamplingError(actions.get(a)!, browse, 1 / 3), `action ${a}`);
  }
  for (const p of URL_PATHS) assert.ok(withinSamplingError(paths.get(p)!, n, 1 / 7), `path ${p}`);
  // uniform in 5..500: mean 252.5, sd 495 / sqrt(12)
  assert.ok(Math.abs(amountSum / amounts - 252.5) < 5 * 495 / Math.sqrt(12 * amounts));
});

Deno.test("SessionGenerator keeps at most maxActiveSessions and drops the oldest first", () => {
  const gen = new SessionGenerator({ seed: 9, maxActiveSessions: 50 });
  const startedAt = new Map<string, number>(); // session id -> number of sessions started before it
  let sessions = 0;
  for (let i = 0; i < 50_000; i++) {
    const e = gen.next();
    assert.ok(gen.activeSessions <= 50);
    if (gen.startedSession) startedAt.set(e.session_id, sessions++);
    // a session continues only while fewer than 50 sessions started after it
    assert.ok(sessions - startedAt.get(e.session_id)! <= 50);
  }
  assert.equal(gen.activeSessions, 50);
});

Deno.test("SessionGenerator uses the injected clock, else a simulated one", async (t) => {
  await t.step("injected clock", () => {
    let now = 1_800_000_000;
    const gen = new SessionGenerator({ clock: () => now++ });
    assert.equal(gen.next().timestamp, 1_800_000_000);
    assert.equal(gen.next().timestamp, 1_800_000_001);
  });
  await t.step("simulated clock advances one second per simulatedEventsPerSecond events", () => {
    const gen = new SessionGenerator({
      simulatedStart: 2_000_000_000,
      simulatedEventsPerSecond: 10,
    });
    const ts = Array.from({ length: 25 }, () => gen.next().timestamp - 2_000_000_000);
    assert.deepEqual(ts, [...Array(10).fill(0), ...Array(10).fill(1), ...Array(5).fill(2)]);
  });
});

Deno.test("SessionGenerator drifts at driftAt: the rate then falls with position as max(0.5 - 0.03k, 0.02)", () => {
  const gen = new SessionGenerator({ seed: 11, driftAt: 200_000 });
  const events = new Float64Array(60), purchases = new Float64Array(60);
  for (let i = 0; i < 600_000; i++) {
    const e = gen.next();
    const drifted = i >= 200_000;
    assert.equal(gen.probability, gen.probabilityAt(gen.position, drifted));
    if (!drifted || gen.position >= 60) continue;
    events[gen.position]++;
    if (e.action === "purchase") purchases[gen.position]++;
  }
  for (let k = 1; k < 60; k++) {
    if (events[k] < 1000) continue;
    const p = Math.max(0.5 - 0.03 * k, 0.02);
    assert.ok(withinSamplingError(purchases[k], events[k], p), `position ${k}`);
  }
});

Deno.test("SessionGenerator shards keep the original's statistics when interleaved", () => {
  const shards = Array.from(
    { length: 4 },
    (_, index) => new SessionGenerator({ seed: 42, shard: { index, count: 4 } }),
  );
  const n = 800_000;
  let purchases = 0, starts = 0, bayes = 0, allStarts = 0;
  const ids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const g = shards[i % 4];
    const e = g.next();
    if (i >= 200_000) {
      bayes += g.probability;
      if (e.action === "purchase") purchases++;
      if (g.startedSession) starts++;
    }
    if (g.startedSession) {
      ids.add(e.session_id);
      allStarts++;
    }
    assert.ok(g.activeSessions <= 1250);
  }
  const m = n - 200_000;
  // after warm-up, the mean true probability is the DESIGN's ≈ 0.321
  assert.ok(Math.abs(bayes / m - 0.321) < 0.005, `mean probability ${bayes / m}`);
  assert.ok(withinSamplingError(purchases, m, bayes / m));
  assert.ok(withinSamplingError(starts, m, 0.05));
  // shards draw independent session ids: no collisions
  assert.equal(ids.size, allStarts);
});

Deno.test("SessionGenerator rejects bad options with a RangeError naming the value", async (t) => {
  for (
    const [name, options] of [
      ["maxActiveSessions 0", { maxActiveSessions: 0 }],
      ["newSessionProbability 2", { newSessionProbability: 2 }],
      ["simulatedEventsPerSecond 0", { simulatedEventsPerSecond: 0 }],
      ["shard.index 4", { shard: { index: 4, count: 4 } }],
      ["driftAt -1", { driftAt: -1 }],
    ] as const
  ) {
    await t.step(name, () => {
      assert.throws(() => new SessionGenerator(options), (e: Error) => {
        return e instanceof RangeError && e.message.includes(name.split(" ")[1]);
      });
    });
  }
});

Deno.test("SessionGenerator exposes each action's probability without changing its stream", () => {
  const read = new SessionGenerator({ seed: 12 }), plain = new SessionGenerator({ seed: 12 });
  const browse = new Map<string, number>();
  let browseEvents = 0;
  for (let i = 0; i < 50_000; i++) {
    const e = read.next();
    assert.deepStrictEqual(e, plain.next());
    const [click, view, scroll, purchase] = read.actionProbabilities;
    const p = read.probability;
    assert.equal(purchase, p);
    assert.equal(click, (1 - p) / 3);
    assert.equal(view, click);
    assert.equal(scroll, click);
    assert.ok(Math.abs(click + view + scroll + purchase - 1) < 1e-12);
    if (e.action !== "purchase") {
      browseEvents++;
      browse.set(e.action, (browse.get(e.action) ?? 0) + 1);
    }
  }
  for (const a of ["click", "view", "scroll"]) {
    assert.ok(withinSamplingError(browse.get(a)!, browseEvents, 1 / 3), `action ${a}`);
  }
});
