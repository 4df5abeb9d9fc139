import assert from "node:assert/strict";
import fc from "fast-check";
import { ACTIONS, type WireEvent } from "../../src/events/wire.ts";
import { FunnelGenerator } from "../../src/generator/funnel_generator.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import type { FeatureSet } from "../../src/learn/feature_set.ts";
import {
  DEFAULT_FEATURE_SET,
  describeFeatureSet,
  FEATURE_SET_NAMES,
  FEATURE_SETS,
  featureSet,
  featureSetById,
} from "../../src/learn/feature_sets.ts";
import { Featurizer } from "../../src/learn/features.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { POSITION_FEATURES, WINDOW_SECONDS } from "../../src/learn/position_features.ts";
import { SESSION_FEATURES } from "../../src/learn/session_features.ts";
import { SHOP_FEATURES } from "../../src/learn/shop_features.ts";
import { SessionStore } from "../../src/learn/session_store.ts";
import { FunnelViewReader } from "../generator/_funnel_view.ts";
import { MIXED_STORE, mixedStream } from "./_mixed_stream.ts";
import { stream } from "./_stream.ts";
import { oddEvents } from "./_shop_golden.ts";
import { createGenerator } from "../../src/generator/create_generator.ts";
import { fnv1a32 } from "../../src/util/fnv1a.ts";
import { encodeWtf8Into } from "../../src/util/wtf8.ts";

// The original generator with a small pool and store (idle expiry, eviction and window changes
// all happen), and a stream that touches every field (every page class, action, hour and day).
const GEN = { maxActiveSessions: 300, simulatedEventsPerSecond: 2 };
const STORE = { idleSeconds: 400, maxSessions: 250 };
const STREAMS: { name: string; events: WireEvent[]; store: typeof STORE }[] = [
  { name: "original", events: stream(6000, GEN).events, store: STORE },
  { name: "mixed", events: mixedStream(6000), store: MIXED_STORE },
];

/** The rows of `evs` featurized with `set` in batches cut at `cuts` (checkpointing at each cut). */
function rows(
  set: FeatureSet,
  evs: readonly WireEvent[],
  cuts: number[] = [],
  options: { checkpoint?: boolean; store?: typeof STORE } = {},
): number[] {
  let f = new Featurizer({ ...(options.store ?? STORE), featureSet: set });
  const out: number[] = [];
  const batch = new FeatureBatch(set.width, { capacity: 16, sparseWidth: set.urlBuckets ?? 0 });
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < evs.length), evs.length])]
    .sort((a, b) => a - b);
  for (let b = 0; b + 1 < bounds.length; b++) {
    batch.clear();
    for (let i = bounds[b]; i < bounds[b + 1]; i++) f.push(evs[i], batch);
    for (const v of batch.rows.subarray(0, batch.length * set.width)) out.push(v);
    if (options.checkpoint) f = Featurizer.fromJSON(JSON.parse(JSON.stringify(f.toJSON())), set);
  }
  return out;
}

/** The features (by name) on which two rows of `set` differ, and the event's index. */
function differing(set: FeatureSet, a: number[], b: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (!Object.is(a[i], b[i])) {
      out.push(`event ${Math.floor(i / set.width)}: ${set.names[i % set.width]} ${a[i]} ≠ ${b[i]}`);
      if (out.length === 5) break;
    }
  }
  return out;
}

/** Asserts equal rows, naming the features that differ. */
function sameRows(set: FeatureSet, got: number[], want: number[]): void {
  assert.deepEqual(differing(set, got, want), [], `${set.name}: rows differ`);
}

/** The same event with another action (and an amount exactly when it is a purchase). */
function relabel(e: WireEvent, action: WireEvent["action"], amount = 123.45): WireEvent {
  const { amount: _, action: __, ...rest } = e;
  return action === "purchase" ? { ...rest, action, amount } : { ...rest, action };
}

Deno.test("the feature-set registry: unique ids and names, widths, the default, lookups", () => {
  assert.deepEqual(FEATURE_SETS.map((s) => s.name), [...FEATURE_SET_NAMES]);
  assert.deepEqual(FEATURE_SETS.map((s) => s.id), [1, 2, 3, 4]);
  for (const set of FEATURE_SETS) {
    assert.equal(set.width, set.names.length, set.name);
    assert.equal(new Set(set.names).size, set.width, `${set.name}: names are unique`);
    assert.equal(featureSet(set.name), set);
    assert.equal(featureSetById(set.id), set);
  }
  assert.equal(DEFAULT_FEATURE_SET, SHOP_FEATURES);
  assert.equal(featureSetById(99), undefined);
  assert.equal(describeFeatureSet(3), `"fields" (id 3)`);
  assert.equal(describeFeatureSet(99), "id 99 (unknown to this version)");
  assert.throws(
    () => featureSet("pages"),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === `Unknown feature set "pages": expected one of position, session, fields, shop.`,
  );
});

Deno.test("every feature set's names, in row order", () => {
  // Written out here, not derived from the modules: the weights travel under these names.
  const position = [
    "log_position",
    "inv_position",
    "log_position_sq",
    "position_capped",
    "log1p_seconds_since_start",
    "log1p_seconds_since_previous",
  ];
  assert.deepEqual([...POSITION_FEATURES.names], [
    ...position,
    "log1p_clicks_in_session",
    "log1p_time_on_page",
  ]);
  assert.deepEqual([...SESSION_FEATURES.names], position);
  const classes = ["home", "search", "category", "product", "cart", "checkout", "about", "blog"];
  assert.deepEqual([...FIELD_FEATURES.names], [
    ...position,
    "log1p_earlier_click",
    "log1p_earlier_view",
    "log1p_earlier_scroll",
    "log1p_earlier_purchase",
    "log1p_spend",
    ...[...classes.slice(1), "other"].map((c) => `page_${c}`), // home is the reference
    ...[...classes, "other"].map((c) => `previous_${c}`),
    "hour_sin",
    "hour_cos",
    "day_sin",
    "day_cos",
  ]);
  assert.equal(FIELD_FEATURES.width, 32);
});

Deno.test("featurize() writes exactly one value per name, and nothing past them", async (t) => {
  for (const set of FEATURE_SETS) {
    await t.step(set.name, () => {
      const f = new Featurizer({ featureSet: set });
      assert.equal(f.names, set.names);
      assert.equal(f.width, set.width);
      const events = STREAMS[1].events.slice(0, 300);
      const out = new Float64Array(set.width + 4);
      for (const e of events) {
        out.fill(NaN);
        f.featurize(e, out, 2);
        assert.ok(Number.isNaN(out[0]) && Number.isNaN(out[1]), "nothing before the offset");
        for (let j = 0; j < set.width; j++) {
          assert.ok(Number.isFinite(out[2 + j]), `${set.names[j]} = ${out[2 + j]}`);
        }
        assert.ok(Number.isNaN(out[set.width + 2]) && Number.isNaN(out[set.width + 3]));
        f.observe(e);
      }
    });
  }
});

Deno.test("featurize() gives identical rows however the stream is cut into batches", async (t) => {
  for (const set of FEATURE_SETS) {
    for (const { name, events, store } of STREAMS) {
      await t.step(`${set.name}, ${name} stream`, () => {
        const whole = rows(set, events, [], { store });
        sameRows(set, rows(set, events, events.map((_, i) => i), { store }), whole);
        sameRows(
          set,
          rows(set, events.slice(0, 800), events.map((_, i) => i), { checkpoint: true, store }),
          whole.slice(0, 800 * set.width),
        );
        fc.assert(
          fc.property(
            fc.array(fc.integer({ min: 1, max: events.length - 1 }), { maxLength: 30 }),
            fc.boolean(),
            (cuts, checkpoint) => {
              sameRows(set, rows(set, events, cuts, { checkpoint, store }), whole);
            },
          ),
          { numRuns: 8 },
        );
      });
    }
  }
});

Deno.test("leak test: every feature of every set takes several values on the test streams", async (t) => {
  // Otherwise the leak tests below would prove nothing for a constant feature.
  for (const set of FEATURE_SETS) {
    await t.step(set.name, () => {
      const values = set.names.map(() => new Set<number>());
      for (const { events, store } of STREAMS) {
        const r = rows(set, events, [], { store });
        for (let i = 0; i < r.length; i++) values[i % set.width].add(r[i]);
      }
      const constant = set.names.filter((_, j) => values[j].size < 2);
      assert.deepEqual(constant, [], `${set.name}: features that never vary`);
    });
  }
});

/** A mutation of one later event (or of the stream after it). */
const mutation = fc.record({
  kind: fc.constantFrom("action", "amount", "url", "time", "drop", "insert", "session"),
  index: fc.nat(),
  value: fc.nat({ max: 1_000_000 }),
});

function mutate(
  events: readonly WireEvent[],
  m: number,
  changes: { kind: string; index: number; value: number }[],
): WireEvent[] {
  const out = [...events];
  for (const c of changes) {
    const i = m + (c.index % (out.length - m));
    const e = out[i];
    switch (c.kind) {
      case "action":
        out[i] = relabel(e, ACTIONS[c.value % 4], 1 + c.value / 100);
        break;
      case "amount":
        out[i] = relabel(e, "purchase", 1 + c.value / 7);
        break;
      case "url":
        out[i] = { ...e, url: ["/cart", "/blog/1", "/x", "/product/9?q"][c.value % 4] };
        break;
      case "time":
        out[i] = { ...e, timestamp: e.timestamp + (c.value % 7200) - 3600 };
        break;
      case "drop":
        out.splice(i, 1);
        break;
      case "insert":
        out.splice(i, 0, { ...e, timestamp: e.timestamp + (c.value % 100) });
        break;
      case "session":
        out[i] = { ...e, session_id: events[c.value % events.length].session_id };
        break;
    }
    if (out.length <= m + 1) break;
  }
  return out;
}

Deno.test("leak test: changing any later event leaves every earlier row unchanged", async (t) => {
  for (const set of FEATURE_SETS) {
    for (const { name, events, store } of STREAMS) {
      await t.step(`${set.name}, ${name} stream`, () => {
        const whole = rows(set, events, [], { store });
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: events.length - 2 }),
            fc.array(mutation, { minLength: 1, maxLength: 40 }),
            (m, changes) => {
              const got = rows(set, mutate(events, m, changes), [], { store });
              sameRows(set, got.slice(0, m * set.width), whole.slice(0, m * set.width));
            },
          ),
          { numRuns: 15 },
        );
      });
    }
  }
});

Deno.test("leak test: the event's own action and amount leave its row unchanged", async (t) => {
  for (const set of FEATURE_SETS) {
    for (const { name, events, store } of STREAMS) {
      await t.step(`${set.name}, ${name} stream: each event under every action and amount`, () => {
        const f = new Featurizer({ ...store, featureSet: set });
        const a = new Float64Array(set.width), b = new Float64Array(set.width);
        for (const e of events) {
          f.featurize(e, a);
          for (const action of ACTIONS) {
            for (const amount of [0.01, 77, 99_999]) {
              f.featurize(relabel(e, action, amount), b);
              sameRows(set, [...b], [...a]);
            }
          }
          f.observe(e);
        }
      });
      await t.step(`${set.name}, ${name} stream: relabelling the whole stream`, () => {
        // Every row still depends only on what came before it, and the labels are not part of it
        // — except through the earlier events' actions and amounts, which only `fields` reads.
        const relabelled = events.map((e, i) => relabel(e, i % 2 === 0 ? "purchase" : "view"));
        const same = rows(set, relabelled, [], { store });
        const whole = rows(set, events, [], { store });
        const reads = set.names.filter((n) => /earlier|spend/.test(n));
        if (reads.length === 0) sameRows(set, same, whole);
        else assert.notDeepEqual(same, whole, `${set.name} reads the earlier actions`);
      });
    }
  }
});

Deno.test("position: position, gaps and 5-minute window counts from earlier events only", () => {
  const f = new Featurizer({ featureSet: POSITION_FEATURES });
  const out = new Float64Array(8);
  const t0 = 1_764_000_000 - (1_764_000_000 % WINDOW_SECONDS); // a window start
  const e = (timestamp: number): WireEvent => ({
    user_id: 1,
    url: "/home?abcdef",
    action: "view",
    session_id: "s",
    timestamp,
  });
  const named = () => Object.fromEntries(POSITION_FEATURES.names.map((n, j) => [n, out[j]]));
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

Deno.test("position: the test stream exercises idle expiry, eviction and window changes", () => {
  const f = new Featurizer({ ...STORE, featureSet: POSITION_FEATURES });
  const batch = new FeatureBatch(8);
  for (const e of STREAMS[0].events) f.push(e, batch);
  assert.ok(f.store.expired > 0, "no session expired");
  assert.ok(f.store.evicted > 0, "no session evicted");
  let newWindowNotFirst = 0;
  for (let i = 0; i < batch.length; i++) {
    const r = batch.rows.subarray(i * 8, (i + 1) * 8);
    if (r[1] !== 1 && r[6] === Math.log1p(1)) newWindowNotFirst++;
  }
  assert.ok(newWindowNotFirst > 0, "no session crossed a window");
});

Deno.test("session: the position set's first six features, bit for bit, without the twins", () => {
  for (const { events, store } of STREAMS) {
    const p = rows(POSITION_FEATURES, events, [], { store });
    const s = rows(SESSION_FEATURES, events, [], { store });
    const six = p.filter((_, i) => i % 8 < 6);
    sameRows(SESSION_FEATURES, s, six);
  }
});

Deno.test("fields: counts by action, spend, this and the previous page, hour and day", () => {
  const f = new Featurizer({ featureSet: FIELD_FEATURES });
  const out = new Float64Array(FIELD_FEATURES.width);
  const named = () => Object.fromEntries(FIELD_FEATURES.names.map((n, j) => [n, out[j]]));
  /** A whole row: the values given, 0 elsewhere. */
  const full = (values: Record<string, number>) =>
    Object.fromEntries(FIELD_FEATURES.names.map((n) => [n, values[n] ?? 0]));
  // 2026-01-04 is a Sunday; 13:20 UTC.
  const t0 = Date.UTC(2026, 0, 4, 13, 20) / 1000;
  const e = (dt: number, url: string, action: WireEvent["action"], amount = 0): WireEvent =>
    relabel(
      { user_id: 1, url, session_id: "s", timestamp: t0 + dt, action: "view" },
      action,
      amount,
    );
  const hour = (h: number) => ({
    hour_sin: Math.sin(2 * Math.PI * h / 24),
    hour_cos: Math.cos(2 * Math.PI * h / 24),
  });
  const day = (d: number) => ({
    day_sin: Math.sin(2 * Math.PI * d / 7),
    day_cos: Math.cos(2 * Math.PI * d / 7),
  });
  const first = e(0, "/search?q=x", "click");
  f.featurize(first, out);
  assert.deepEqual(
    named(),
    full({
      inv_position: 1,
      position_capped: 1,
      page_search: 1,
      ...hour(13),
      ...day(0),
    }),
  );
  f.observe(first);
  f.observe(e(30, "/product/5", "purchase", 40));
  f.observe(e(60, "/product/6", "view"));
  f.observe(e(100, "/cart", "purchase", 60.5));
  // Fifth event, 11 hours later (Monday 00:21): the store's idle expiry is 30 minutes, so the
  // session starts again — a first event.
  const late = e(11 * 3600 + 60, "/checkout", "click");
  const lonely = new Featurizer({
    featureSet: FIELD_FEATURES,
    store: SessionStore.fromJSON(f.toJSON(), FIELD_FEATURES.layout),
  });
  lonely.featurize(late, out);
  assert.deepEqual(
    named(),
    full({
      inv_position: 1,
      position_capped: 1,
      page_checkout: 1,
      ...hour(0),
      ...day(1),
    }),
  );
  // Fifth event, 5 minutes after the first, on a page of no class.
  f.featurize(e(300, "/jobs/1", "scroll"), out);
  assert.deepEqual(
    named(),
    full({
      log_position: Math.log(5),
      inv_position: 1 / 5,
      log_position_sq: Math.log(5) ** 2,
      position_capped: 5,
      log1p_seconds_since_start: Math.log1p(300),
      log1p_seconds_since_previous: Math.log1p(200),
      log1p_earlier_click: Math.log1p(1),
      log1p_earlier_view: Math.log1p(1),
      log1p_earlier_purchase: Math.log1p(2),
      log1p_spend: Math.log1p(100.5),
      page_other: 1,
      previous_cart: 1,
      ...hour(13),
      ...day(0),
    }),
  );
});

Deno.test("fields: on the funnel profile the features are the funnel model's visible view of each event", () => {
  // An independent reading of the wire stream (tests/generator/_funnel_view.ts) gives what the
  // funnel's action model sees of each event; the `fields` row must say the same.
  const gen = new FunnelGenerator({ seed: 5 });
  const reader = new FunnelViewReader();
  const f = new Featurizer({ featureSet: FIELD_FEATURES });
  const row = new Float64Array(FIELD_FEATURES.width);
  const at = (name: string) => row[FIELD_FEATURES.names.indexOf(name)];
  const C = 9;
  const page = FIELD_FEATURES.names.indexOf("page_search"); // class 1: home has no column
  const previous = FIELD_FEATURES.names.indexOf("previous_home");
  for (let i = 0; i < 30_000; i++) {
    const e = gen.next();
    const v = reader.view(e);
    f.featurize(e, row);
    assert.equal(at("log_position"), Math.log(v.position));
    assert.equal(at("log1p_seconds_since_start"), Math.log1p(v.secondsSinceStart));
    assert.equal(at("log1p_seconds_since_previous"), Math.log1p(v.secondsSincePrevious));
    ACTIONS.forEach((a, j) =>
      assert.equal(at(`log1p_earlier_${a}`), Math.log1p(v.actionCounts[j]))
    );
    assert.equal(at("log1p_spend"), Math.log1p(v.spend));
    for (let c = 0; c < C; c++) {
      if (c > 0) assert.equal(row[page + c - 1], c === v.page ? 1 : 0);
      assert.equal(row[previous + c], c === v.previous ? 1 : 0);
    }
    assert.equal(at("hour_sin"), Math.sin(2 * Math.PI * v.hour / 24));
    assert.equal(at("hour_cos"), Math.cos(2 * Math.PI * v.hour / 24));
    assert.equal(at("day_sin"), Math.sin(2 * Math.PI * v.dayOfWeek / 7));
    assert.equal(at("day_cos"), Math.cos(2 * Math.PI * v.dayOfWeek / 7));
    f.observe(e);
    reader.observe(e);
  }
});

Deno.test("Featurizer refuses a store of another layout and a batch of another width", () => {
  assert.throws(
    () =>
      new Featurizer({
        featureSet: FIELD_FEATURES,
        store: new SessionStore({ layout: POSITION_FEATURES.layout }),
      }),
    /feature set "fields" from a session store of layout "window": it needs layout "actions"/,
  );
  const f = new Featurizer({ featureSet: FIELD_FEATURES });
  assert.throws(
    () => f.push(STREAMS[0].events[0], new FeatureBatch(8)),
    /feature set "fields" \(width 32, sparse 0\) into a batch of width 8, sparse 0/,
  );
  assert.throws(
    () =>
      Featurizer.fromJSON(
        new Featurizer({ featureSet: POSITION_FEATURES }).toJSON(),
        FIELD_FEATURES,
      ),
    TypeError,
  );
});

Deno.test("featurizeKey/observeKey with the url's bytes give the rows and state they give without them", () => {
  const gen = createGenerator("funnel", { seed: 3 });
  const events = oddEvents(Array.from({ length: 20_000 }, () => gen.next()));
  for (const name of ["shop", "fields", "session", "position"]) {
    const set = featureSet(name);
    const plain = new Featurizer({ featureSet: set, maxSessions: 500 });
    const paged = new Featurizer({ featureSet: set, maxSessions: 500 });
    const a = new Float64Array(set.width), b = new Float64Array(set.width);
    const bytes = new Uint8Array(4096);
    for (const e of events) {
      const sl = encodeWtf8Into(e.session_id, bytes, 3);
      const ul = encodeWtf8Into(e.url, bytes, 3 + sl + 2);
      const hash = fnv1a32(bytes, 3, sl);
      plain.featurizeKey(e, bytes, 3, sl, hash, a, 0);
      paged.featurizeKey(e, bytes, 3, sl, hash, b, 0, 3 + sl + 2, ul);
      for (let j = 0; j < set.width; j++) assert.ok(Object.is(a[j], b[j]), `${name} ${j}`);
      plain.observeKey(e, bytes, 3, sl, hash);
      paged.observeKey(e, bytes, 3, sl, hash, 3 + sl + 2, ul);
    }
    assert.deepEqual(paged.toJSON(), plain.toJSON(), name);
  }
});

Deno.test("observeKey without its featurizeKey finds the page class of the url bytes it is given", () => {
  // One buffer, rewritten per event at the same offsets: an observeKey whose featurizeKey was
  // skipped must not take the page class the previous event's featurizeKey found there.
  const gen = createGenerator("funnel", { seed: 5 });
  const events = oddEvents(Array.from({ length: 5_000 }, () => gen.next()));
  for (const name of ["shop", "fields"]) {
    const set = featureSet(name);
    const plain = new Featurizer({ featureSet: set, maxSessions: 500 });
    const paged = new Featurizer({ featureSet: set, maxSessions: 500 });
    const out = new Float64Array(set.width);
    const bytes = new Uint8Array(4096);
    events.forEach((e, i) => {
      const sl = encodeWtf8Into(e.session_id, bytes, 0);
      const ul = encodeWtf8Into(e.url, bytes, 64);
      const hash = fnv1a32(bytes, 0, sl);
      if (i % 3 !== 0) paged.featurizeKey(e, bytes, 0, sl, hash, out, 0, 64, ul);
      plain.observeKey(e, bytes, 0, sl, hash);
      paged.observeKey(e, bytes, 0, sl, hash, 64, ul);
    });
    assert.deepEqual(paged.toJSON(), plain.toJSON(), name);
  }
});
