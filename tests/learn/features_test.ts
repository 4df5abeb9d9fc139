import assert from "node:assert/strict";
import fc from "fast-check";
import type { WireEvent } from "../../src/events/wire.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { FEATURE_COUNT, FEATURE_NAMES, Featurizer } from "../../src/learn/features.ts";
import { stream } from "./_stream.ts";

// A small pool and store so that idle expiry, eviction and window changes all happen.
const GEN = { maxActiveSessions: 300, simulatedEventsPerSecond: 2 };
const STORE = { idleSeconds: 400, maxSessions: 250 };
const { events } = stream(6000, GEN);

/** The rows of `events` featurized in batches cut at `cuts` (checkpointing at each cut). */
function rows(evs: WireEvent[], cuts: number[], options: { checkpoint?: boolean } = {}): number[] {
  let f = new Featurizer(STORE);
  const out: number[] = [];
  const batch = new FeatureBatch(FEATURE_COUNT, { capacity: 16 });
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < evs.length), evs.length])]
    .sort((a, b) => a - b);
  for (let b = 0; b + 1 < bounds.length; b++) {
    batch.clear();
    for (let i = bounds[b]; i < bounds[b + 1]; i++) f.push(evs[i], batch);
    out.push(...batch.rows.subarray(0, batch.length * FEATURE_COUNT));
    if (options.checkpoint) f = Featurizer.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
  }
  return out;
}

const whole = rows(events, []);

Deno.test("FEATURE_NAMES are the features in row order, one value written per name", async (t) => {
  await t.step("the names, in row order", () => {
    // Written out here, not derived from the module: the weights travel under these names.
    assert.deepEqual([...FEATURE_NAMES], [
      "log_position",
      "inv_position",
      "log_position_sq",
      "position_capped",
      "log1p_seconds_since_start",
      "log1p_seconds_since_previous",
      "log1p_clicks_in_session",
      "log1p_time_on_page",
    ]);
    assert.equal(FEATURE_COUNT, 8);
    const f = new Featurizer();
    assert.equal(f.names, FEATURE_NAMES);
    assert.equal(f.width, 8);
  });
  await t.step("featurize() writes exactly one value per name, and nothing past them", () => {
    const f = new Featurizer();
    const t0 = 1_764_000_000 - (1_764_000_000 % 300); // a window start
    const e = (timestamp: number): WireEvent => ({
      user_id: 1,
      url: "/home",
      action: "click",
      session_id: "known",
      timestamp,
    });
    f.observe(e(t0));
    // A second event 20 s later: position 2, one earlier event in the same window.
    const out = new Float64Array(12).fill(NaN);
    f.featurize(e(t0 + 20), out);
    assert.deepEqual([...out], [
      Math.log(2),
      1 / 2,
      Math.log(2) ** 2,
      2,
      Math.log1p(20),
      Math.log1p(20),
      Math.log1p(2),
      Math.log1p(20),
      NaN,
      NaN,
      NaN,
      NaN,
    ]);
  });
  await t.step("push() fills rows of exactly that width, one after the other", () => {
    const f = new Featurizer();
    const batch = new FeatureBatch(8, { capacity: 4 });
    batch.rows.fill(NaN);
    const e = (session_id: string): WireEvent => ({
      user_id: 1,
      url: "/home",
      action: "view",
      session_id,
      timestamp: 1_764_000_000,
    });
    f.push(e("a"), batch);
    f.push(e("b"), batch);
    const first = [0, 1, 0, 1, 0, 0, Math.log1p(1), 0]; // a session's first event
    assert.equal(batch.length, 2);
    assert.deepEqual([...batch.rows.subarray(0, 16)], [...first, ...first]);
    assert.ok(batch.rows.subarray(16).every(Number.isNaN), "nothing written after two rows");
  });
});

Deno.test("featurize() gives identical rows however the stream is cut into batches", async (t) => {
  await t.step("one-event batches", () => {
    assert.deepStrictEqual(rows(events, events.map((_, i) => i)), whole);
  });
  await t.step("one-event batches with a checkpoint after each", () => {
    assert.deepStrictEqual(
      rows(events.slice(0, 1500), events.map((_, i) => i), { checkpoint: true }),
      whole.slice(0, 1500 * FEATURE_COUNT),
    );
  });
  await t.step("random cuts, with and without checkpoints", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: events.length - 1 }), { maxLength: 30 }),
        fc.boolean(),
        (cuts, checkpoint) => {
          assert.deepStrictEqual(rows(events, cuts, { checkpoint }), whole);
        },
      ),
      { numRuns: 25 },
    );
  });
});

Deno.test("featurize() never changes an earlier event's features when later events are removed", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: events.length - 1 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (m, mask) => {
        // keep the first m events, drop a pseudo-random subset of the later ones
        const kept = events.filter((_, i) => i < m || ((i * 2654435761 + mask) >>> 7) % 3 !== 0);
        const got = rows(kept, []);
        assert.deepStrictEqual(got.slice(0, m * FEATURE_COUNT), whole.slice(0, m * FEATURE_COUNT));
      },
    ),
    { numRuns: 20 },
  );
});

Deno.test("featurize() ignores the event's own action and amount", async (t) => {
  await t.step("flipping one event's action leaves its row unchanged", () => {
    const f = new Featurizer(STORE);
    const a = new Float64Array(FEATURE_COUNT), b = new Float64Array(FEATURE_COUNT);
    for (const e of events) {
      f.featurize(e, a);
      const flipped: WireEvent = e.action === "purchase"
        ? { ...e, action: "click", amount: undefined }
        : { ...e, action: "purchase", amount: 123.45 };
      f.featurize(flipped, b);
      assert.deepStrictEqual(b, a);
      f.observe(e);
    }
  });
  await t.step("relabelling the whole stream leaves every row unchanged", () => {
    const relabelled = events.map((e, i): WireEvent =>
      i % 2 === 0 ? { ...e, action: "purchase", amount: 9.99 } : {
        user_id: e.user_id,
        url: e.url,
        session_id: e.session_id,
        timestamp: e.timestamp,
        action: "view",
      }
    );
    assert.deepStrictEqual(rows(relabelled, []), whole);
  });
});

Deno.test("featurize() computes position, gaps and 5-minute window counts from earlier events only", () => {
  const f = new Featurizer();
  const out = new Float64Array(FEATURE_COUNT);
  const t0 = 1_764_000_000 - (1_764_000_000 % 300); // a window start
  const e = (timestamp: number): WireEvent => ({
    user_id: 1,
    url: "/home?abcdef",
    action: "view",
    session_id: "s",
    timestamp,
  });
  const named = () => Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, out[j]]));
  f.featurize(e(t0 + 10), out);
  assert.deepEqual(named(), {
    log_position: 0,
    inv_position: 1,
    log_position_sq: 0,
    position_capped: 1,
    log1p_seconds_since_start: 0,
    log1p_seconds_since_previous: 0,
    log1p_clicks_in_session: Math.log1p(1),
    log1p_time_on_page: 0,
  });
  f.observe(e(t0 + 10));
  f.observe(e(t0 + 40));
  f.featurize(e(t0 + 100), out); // third event, same window
  assert.deepEqual(named(), {
    log_position: Math.log(3),
    inv_position: 1 / 3,
    log_position_sq: Math.log(3) ** 2,
    position_capped: 3,
    log1p_seconds_since_start: Math.log1p(90),
    log1p_seconds_since_previous: Math.log1p(60),
    log1p_clicks_in_session: Math.log1p(3),
    log1p_time_on_page: Math.log1p(90),
  });
  f.observe(e(t0 + 100));
  f.featurize(e(t0 + 310), out); // fourth event, next window
  assert.equal(out[6], Math.log1p(1));
  assert.equal(out[7], 0);
  assert.equal(out[0], Math.log(4));
});

Deno.test("featurize() test stream exercises idle expiry, eviction and window changes", () => {
  const f = new Featurizer(STORE);
  const batch = new FeatureBatch(FEATURE_COUNT);
  for (const e of events) f.push(e, batch);
  assert.ok(f.store.expired > 0, "no session expired");
  assert.ok(f.store.evicted > 0, "no session evicted");
  let newWindowNotFirst = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch.rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
    if (r[1] !== 1 && r[6] === Math.log1p(1)) newWindowNotFirst++;
  }
  assert.ok(newWindowNotFirst > 0, "no session crossed a window");
});
