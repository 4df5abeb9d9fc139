import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import type { WireEvent } from "../../src/events/wire.ts";
import { DEFAULT_FEATURE_SET } from "../../src/learn/feature_sets.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import {
  featureRows,
  FeaturizeStage,
  type FeaturizeStageOptions,
  type IndexedRecord,
} from "../../src/stream/featurize_stage.ts";
import type { DeadLetter, SourceRecord } from "../../src/stream/records.ts";
import {
  ACTION_PURCHASE,
  actionCode,
  NONE,
  reasonCode,
  ROW_DEAD_LETTER,
  ROW_EVENT,
  RowBatch,
} from "../../src/stream/row_batch.ts";

const T0 = 1_764_000_000; // a multiple of 300: the start of a 5-minute window

// The features by hand below are the `position` set's (with its 5-minute window).
const FEATURE_ROWS = featureRows(POSITION_FEATURES);
const positionStage = (options: FeaturizeStageOptions = {}) =>
  new FeaturizeStage({ featureSet: POSITION_FEATURES, ...options });
const enc = new TextEncoder();

function record(partition: number, offset: number, value: WireEvent | string): SourceRecord {
  return {
    topic: "t",
    partition,
    offset,
    key: null,
    value: typeof value === "string" ? enc.encode(value) : encodeEvent(value),
  };
}

const view = (session: string, dt: number, user = 7): WireEvent => ({
  user_id: user,
  url: "/p?a",
  action: "view",
  session_id: session,
  timestamp: T0 + dt,
});

/** The features by hand: position k, seconds since start and previous, clicks and time in window. */
function byHand(k: number, sinceStart: number, sincePrev: number, clicks: number, onPage: number) {
  const lk = Math.log(k);
  return [
    lk,
    1 / k,
    lk * lk,
    Math.min(k, 100),
    Math.log1p(sinceStart),
    Math.log1p(sincePrev),
    Math.log1p(clicks),
    Math.log1p(onPage),
  ];
}

Deno.test("FeaturizeStage turns one partition's records into rows with the features computed by hand", () => {
  const stage = positionStage();
  const rows = new RowBatch(FEATURE_ROWS);
  const records = [
    record(0, 0, view("s", 0)),
    record(0, 1, view("u", 5, 8)), // another session: its own history
    record(0, 2, view("s", 10)),
    record(0, 3, "not json"),
    record(0, 4, { ...view("s", 25), action: "purchase", amount: 42.5 }),
    record(0, 5, view("s", 400)), // the next 5-minute window
  ];
  const result = stage.featurize(records, rows);
  assert.equal(result.skipped, 0);
  assert.deepEqual(result.deadLetters.map((d) => [d.record.offset, d.error.reason]), [
    [3, "not_json"],
  ]);
  assert.equal(rows.length, 6);
  assert.equal(rows.featureSet, POSITION_FEATURES.id);
  assert.deepEqual(
    [...rows.kind.subarray(0, 6)],
    [0, 0, 0, 1, 0, 0].map((k) => k ? ROW_DEAD_LETTER : ROW_EVENT),
  );
  assert.deepEqual([...rows.offset.subarray(0, 6)], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...rows.partition.subarray(0, 6)], [0, 0, 0, 0, 0, 0]);
  const expected = [
    byHand(1, 0, 0, 1, 0), // s: its first event
    byHand(1, 0, 0, 1, 0), // u: its first event
    byHand(2, 10, 10, 2, 10),
    new Array(8).fill(0), // the marker has no features
    byHand(3, 25, 15, 3, 25),
    byHand(4, 400, 375, 1, 0), // a new window: clicks and time on page start over
  ];
  for (let i = 0; i < 6; i++) {
    assert.deepStrictEqual([...rows.denseRow(i)], expected[i], `row ${i}`);
  }
  assert.deepEqual([...rows.action.subarray(0, 6)], [
    actionCode("view"),
    actionCode("view"),
    actionCode("view"),
    NONE,
    ACTION_PURCHASE,
    actionCode("view"),
  ]);
  assert.equal(rows.reason[3], reasonCode("not_json"));
  assert.deepEqual([...rows.amount.subarray(0, 6)], [0, 0, 0, 0, 42.5, 0]);
  assert.deepEqual([...rows.userId.subarray(0, 6)], [7, 8, 7, NaN, 7, 7]);
  assert.deepEqual([...rows.eventTime.subarray(0, 6)], [
    T0,
    T0 + 5,
    T0 + 10,
    NaN,
    T0 + 25,
    T0 + 400,
  ]);
  assert.deepEqual(rows.sessionId, ["s", "u", "s", "", "s", "s"]);
  assert.deepEqual([...rows.truth.subarray(0, 6)], new Array(6).fill(NaN));
  assert.equal(rows.sparseLength, 0);
  assert.equal(stage.next(0), 6);
});

Deno.test("FeaturizeStage skips records its state covers, and says how many", () => {
  const stage = positionStage();
  const rows = new RowBatch(FEATURE_ROWS);
  stage.featurize([record(0, 0, view("s", 0)), record(0, 1, view("s", 1))], rows);
  rows.clear();
  const again = stage.featurize(
    [record(0, 0, view("s", 0)), record(0, 1, view("s", 1)), record(0, 2, view("s", 2))],
    rows,
  );
  assert.equal(again.skipped, 2);
  assert.equal(rows.length, 1);
  assert.deepStrictEqual([...rows.denseRow(0)], byHand(3, 2, 1, 3, 2));
});

Deno.test("FeaturizeStage keeps one session store per partition: watermark, idle expiry and cap", async (t) => {
  await t.step("the same session id in two partitions are two sessions", () => {
    const stage = positionStage();
    const rows = new RowBatch(FEATURE_ROWS);
    stage.featurize([record(0, 0, view("s", 0)), record(1, 0, view("s", 3))], rows);
    assert.deepStrictEqual([...rows.denseRow(1)], byHand(1, 0, 0, 1, 0));
  });
  await t.step("another partition's later events do not expire this partition's sessions", () => {
    const stage = positionStage({ sessions: { idleSeconds: 1800 } });
    const rows = new RowBatch(FEATURE_ROWS);
    stage.featurize([
      record(0, 0, view("s", 0)),
      record(1, 0, view("x", 3600)), // partition 1's watermark is far ahead
      record(0, 1, view("s", 20)),
    ], rows);
    assert.deepStrictEqual([...rows.denseRow(2)], byHand(2, 20, 20, 2, 20));
    assert.equal(stage.partition(0).store.expired, 0);
  });
  await t.step("another partition's sessions do not count against this partition's cap", () => {
    const stage = positionStage({ sessions: { maxSessions: 1 } });
    const rows = new RowBatch(FEATURE_ROWS);
    stage.featurize([
      record(0, 0, view("a", 0)),
      record(1, 0, view("b", 1)),
      record(0, 1, view("a", 2)),
    ], rows);
    assert.deepStrictEqual([...rows.denseRow(2)], byHand(2, 2, 2, 2, 2));
    assert.equal(stage.partition(0).store.evicted, 0);
  });
});

Deno.test("FeaturizeStage's state restores exactly, one store per partition", () => {
  const records = [0, 1, 2].flatMap((p) =>
    Array.from({ length: 20 }, (_, i) => record(p, i, view(`s${i % 3}`, i * 7 + p)))
  );
  const straight = positionStage();
  const all = new RowBatch(FEATURE_ROWS);
  straight.featurize(records, all);
  const first = positionStage();
  const part = new RowBatch(FEATURE_ROWS);
  first.featurize(records.filter((r) => r.offset < 10), part);
  const state = JSON.parse(JSON.stringify(first.toJSON()));
  assert.deepEqual(
    state.partitions.map((p: { partition: number; next: number }) => [p.partition, p.next]),
    [
      [0, 10],
      [1, 10],
      [2, 10],
    ],
  );
  const resumed = positionStage({ restore: state });
  const rest = new RowBatch(FEATURE_ROWS);
  assert.equal(resumed.featurize(records, rest).skipped, 30);
  assert.deepEqual(resumed.toJSON(), straight.toJSON());
  const tail = records.map((r, i) => [r, i] as const).filter(([r]) => r.offset >= 10);
  tail.forEach(([, i], j) => assert.deepStrictEqual([...rest.denseRow(j)], [...all.denseRow(i)]));
});

Deno.test("FeaturizeStage applies its own session bounds to a restored state", () => {
  // 30 sessions of one event each, a second apart, saved under the default bounds.
  const records = Array.from({ length: 30 }, (_, i) => record(0, i, view(`s${i}`, i)));
  const saved = positionStage();
  saved.featurize(records, new RowBatch(FEATURE_ROWS));
  const state = saved.toJSON();
  assert.deepEqual([state.partitions[0].sessions.maxSessions, saved.partition(0).store.size], [
    100_000,
    30,
  ]);
  const next = [record(0, 30, view("s29", 40))];
  // Given no bounds, the saved ones stay.
  const kept = positionStage({ restore: state });
  kept.featurize(next, new RowBatch(FEATURE_ROWS));
  assert.equal(kept.partition(0).store.size, 30);
  // A cap of 10: the 20 least recently seen go at the next event, and the cap is what is saved.
  const capped = positionStage({ sessions: { maxSessions: 10 }, restore: state });
  assert.equal(capped.partition(0).store.maxSessions, 10);
  capped.featurize(next, new RowBatch(FEATURE_ROWS));
  const store = capped.partition(0).store;
  assert.deepEqual([store.size, store.evicted, store.idleSeconds], [10, 20, 1800]);
  assert.equal(store.get("s19"), undefined);
  assert.ok(store.get("s20") !== undefined);
  assert.equal(capped.toJSON().partitions[0].sessions.maxSessions, 10);
  // An idle time of 15 s: at event time 40 the sessions last seen before 25 expire.
  const idle = positionStage({ sessions: { idleSeconds: 15 }, restore: state });
  idle.featurize(next, new RowBatch(FEATURE_ROWS));
  assert.deepEqual([idle.partition(0).store.size, idle.partition(0).store.expired], [5, 25]);
  // A store handed over itself (as a binary checkpoint's restore does) takes the bounds too.
  const handed = positionStage();
  handed.featurize(records, new RowBatch(FEATURE_ROWS));
  const taken = positionStage({ sessions: { maxSessions: 10 }, restore: handed.state() });
  taken.featurize(next, new RowBatch(FEATURE_ROWS));
  assert.deepEqual(taken.toJSON(), capped.toJSON());
  // The same bounds through restorePartition (a session snapshot) give the same store.
  const moved = positionStage({ sessions: { maxSessions: 10 } });
  moved.restorePartition(state.partitions[0]);
  moved.featurize(next, new RowBatch(FEATURE_ROWS));
  assert.deepEqual(moved.toJSON(), capped.toJSON());
});

Deno.test("FeaturizeStage refuses rows or a state of another feature set, naming it", () => {
  const stage = new FeaturizeStage();
  assert.equal(stage.featureSet, DEFAULT_FEATURE_SET);
  assert.deepEqual(stage.rows, featureRows(DEFAULT_FEATURE_SET));
  assert.throws(
    () => stage.featurize([], new RowBatch({ featureSet: 9, denseWidth: 8 })),
    /feature set 9/,
  );
  assert.throws(
    () => new FeaturizeStage({ restore: { version: 1, featureSet: 1, partitions: [] } }),
    /serve feature set "position" \(id 1\), this stage computes "shop" \(id 4\)/,
  );
  assert.throws(
    () => positionStage({ restore: { version: 1, featureSet: 9, partitions: [] } }),
    /feature set id 9 \(unknown to this version\)/,
  );
  assert.throws(
    () => positionStage().featurize([], new RowBatch(featureRows(DEFAULT_FEATURE_SET))),
    /this stage writes feature set 1 \("position", width 8\)/,
  );
});

Deno.test("FeaturizeStage keys a session the same on the byte decoder's fast and full paths", () => {
  const stage = positionStage();
  const rows = new RowBatch(FEATURE_ROWS);
  const plain = (dt: number) =>
    `{"user_id":7,"url":"/p?a","action":"view","session_id":"s1","timestamp":${T0 + dt}}`;
  const records = [
    record(0, 0, plain(0)), // fast path
    record(0, 1, plain(5).replace('"s1"', '"s\\u0031"')), // an escape: the full path, same id
    record(0, 2, ` ${plain(9).replace('"user_id":7,', '"extra":[1],"user_id":7,')}`), // full path
    record(0, 3, plain(12)), // fast path again
    record(0, 4, plain(13).replace('"s1"', '"\\ud800"')), // a lone surrogate: its own session
    record(0, 5, plain(14).replace('"s1"', '"\\ud801"')), // and another one
  ];
  stage.featurize(records, rows);
  assert.equal(rows.length, 6);
  const position = (r: number) => rows.dense[r * rows.denseWidth + 3]; // position_capped
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(position), [1, 2, 3, 4, 1, 1]);
  assert.deepEqual(rows.sessionId.slice(0, 6), ["s1", "s1", "s1", "s1", "\ud800", "\ud801"]);
  const sessions = stage.toJSON().partitions[0].sessions;
  assert.deepEqual(sessions.ids, ["s1", "\ud800", "\ud801"]);
});

Deno.test("FeaturizeStage on shop: the rows (dense and hashed url) are the in-process Featurizer's, fast and JSON path alike", async () => {
  const { FeatureBatch } = await import("../../src/learn/feature_batch.ts");
  const { Featurizer } = await import("../../src/learn/features.ts");
  const { SHOP_FEATURES } = await import("../../src/learn/shop_features.ts");
  const urls = [
    "/",
    "/product/17?ref=a",
    "/cart#top",
    "/café/ü?x=1",
    "/search?q=%22\\u00e9",
    "/a\\/b",
  ];
  const events: WireEvent[] = Array.from({ length: 60 }, (_, i): WireEvent => {
    const base = { user_id: 1 + (i % 4), url: urls[i % urls.length], session_id: `s${i % 5}` };
    return i % 7 === 6
      ? { ...base, action: "purchase", amount: 9.5, timestamp: T0 + i }
      : { ...base, action: "view", timestamp: T0 + i };
  });
  // Escaped urls in the JSON text (\/, \u00e9) take the JSON path; plain ASCII the fast one.
  const values = events.map((e, i) =>
    i % 3 === 0 ? JSON.stringify(e).replace(/\//g, "\\/") : JSON.stringify(e)
  );
  const { DecodedBatch, ROW_FAST, ROW_FALLBACK_VALID } = await import(
    "../../src/events/byte_decoder.ts"
  );
  const status = new DecodedBatch().decode(values.map((v) => enc.encode(v))).status;
  const paths = new Set([...status.subarray(0, values.length)]);
  assert.deepEqual([...paths].sort(), [ROW_FAST, ROW_FALLBACK_VALID].sort(), "both paths taken");
  const stage = new FeaturizeStage({ featureSet: SHOP_FEATURES });
  const rows = new RowBatch(featureRows(SHOP_FEATURES));
  stage.featurize(values.map((v, i) => record(0, i, v)), rows);
  const batch = new FeatureBatch(SHOP_FEATURES.width, { sparseWidth: 4096 });
  const f = new Featurizer({ featureSet: SHOP_FEATURES });
  for (const e of events) f.push(e, batch);
  assert.equal(rows.length, events.length);
  for (let i = 0; i < events.length; i++) {
    assert.deepEqual([...rows.denseRow(i)], [...batch.rows.subarray(i * 32, (i + 1) * 32)]);
    const [a, b] = rows.sparseExtent(i), [c, d] = batch.sparseExtent(i);
    assert.deepEqual(
      [[...rows.sparseIndex.subarray(a, b)], [...rows.sparseValue.subarray(a, b)]],
      [[...batch.sparseIndex.subarray(c, d)], [...batch.sparseValue.subarray(c, d)]],
      `row ${i}: ${events[i].url}`,
    );
    assert.equal(b - a, 1);
  }
});

Deno.test("FeaturizeStage decodes a batch in chunks: rows and dead letters as one record at a time", async () => {
  const { DECODE_CHUNK } = await import("../../src/stream/featurize_stage.ts");
  const { SHOP_FEATURES } = await import("../../src/learn/shop_features.ts");
  const n = 3 * DECODE_CHUNK + 37;
  // Bad records right at the chunk boundaries (and elsewhere), escapes for the JSON path.
  const bad = new Set([DECODE_CHUNK - 1, DECODE_CHUNK, 2 * DECODE_CHUNK - 1, 2 * DECODE_CHUNK, 5]);
  const records = Array.from({ length: n }, (_, i): SourceRecord => {
    const base = {
      user_id: 1 + (i % 9),
      url: i % 4 === 0 ? "/a\\/b" : `/product/${i % 13}`,
      session_id: `s${i % 17}`,
      timestamp: T0 + i,
    };
    const e: WireEvent = i % 11 === 10
      ? { ...base, action: "purchase", amount: 3.5 }
      : { ...base, action: "view" };
    return record(i % 2, i >> 1, bad.has(i) ? (i % 2 ? "not json" : '{"user_id":1}') : e);
  });
  const whole = new FeaturizeStage({ featureSet: SHOP_FEATURES });
  const wholeRows = new RowBatch(featureRows(SHOP_FEATURES));
  // The first ten are covered before: the batch then skips them (and copies the rest).
  whole.featurize(records.slice(0, 10), new RowBatch(featureRows(SHOP_FEATURES)));
  const result = whole.featurize(records, wholeRows);
  assert.equal(result.skipped, 10);
  const single = new FeaturizeStage({ featureSet: SHOP_FEATURES });
  const one = new RowBatch(featureRows(SHOP_FEATURES));
  const columns = (b: RowBatch) => ({
    kind: [...b.kind.subarray(0, b.length)],
    reason: [...b.reason.subarray(0, b.length)],
    partition: [...b.partition.subarray(0, b.length)],
    offset: [...b.offset.subarray(0, b.length)],
    amount: [...b.amount.subarray(0, b.length)],
    sessionId: b.sessionId.slice(0, b.length),
    dense: [...b.dense.subarray(0, b.length * b.denseWidth)],
    sparse: [...b.sparseIndex.subarray(0, b.sparseLength)],
  });
  type Columns = ReturnType<typeof columns>;
  const want: Columns[] = [];
  const letters: [number, number, string][] = [];
  for (const [i, r] of records.entries()) {
    one.clear();
    const got = single.featurize([r], one).deadLetters;
    if (i < 10) continue; // the whole batch skips these
    want.push(columns(one));
    for (const d of got) letters.push([d.record.partition, d.record.offset, d.error.reason]);
  }
  const keys = Object.keys(want[0]) as (keyof Columns)[];
  const merged = Object.fromEntries(keys.map((k) => [k, want.flatMap((c) => c[k] as unknown[])]));
  assert.equal(wholeRows.length, n - 10);
  assert.deepEqual(columns(wholeRows), merged);
  assert.deepEqual(
    result.deadLetters.map((d) => [d.record.partition, d.record.offset, d.error.reason]),
    letters,
  );
  assert.equal(letters.length, bad.size - 1, "the bad records after the first ten");
});

Deno.test("FeaturizeStage.featurizePacked: the rows and dead letters of featurize, from one buffer", async () => {
  const { DECODE_CHUNK } = await import("../../src/stream/featurize_stage.ts");
  const { SHOP_FEATURES } = await import("../../src/learn/shop_features.ts");
  const { packRecords } = await import("../../src/stream/featurize_worker_protocol.ts");
  const n = 2 * DECODE_CHUNK + 41;
  const bad = new Set([3, DECODE_CHUNK - 1, DECODE_CHUNK + 2, 2 * DECODE_CHUNK]);
  const records = Array.from({ length: n }, (_, i): SourceRecord => {
    const base = {
      user_id: 1 + (i % 7),
      url: i % 5 === 0 ? "/a\\/b" : `/product/${i % 11}`,
      session_id: i % 9 === 0 ? "s\\u00e9" : `s${i % 13}`,
      timestamp: T0 + i,
    };
    const e: WireEvent = i % 10 === 9
      ? { ...base, action: "purchase", amount: 2.25 }
      : { ...base, action: "click" };
    const r = record(i % 2, i >> 1, bad.has(i) ? (i % 2 ? "[1]" : '{"user_id":"x"}') : e);
    return i === 7 ? { ...r, value: null } : r; // a tombstone
  });
  const columns = (b: RowBatch) => ({
    kind: [...b.kind.subarray(0, b.length)],
    reason: [...b.reason.subarray(0, b.length)],
    partition: [...b.partition.subarray(0, b.length)],
    offset: [...b.offset.subarray(0, b.length)],
    action: [...b.action.subarray(0, b.length)],
    amount: [...b.amount.subarray(0, b.length)],
    eventTime: [...b.eventTime.subarray(0, b.length)],
    userId: [...b.userId.subarray(0, b.length)],
    sessionId: b.sessionId.slice(0, b.length),
    dense: [...b.dense.subarray(0, b.length * b.denseWidth)],
    sparseEnd: [...b.sparseEnd.subarray(0, b.length)],
    sparse: [...b.sparseIndex.subarray(0, b.sparseLength)],
    sign: [...b.sparseValue.subarray(0, b.sparseLength)],
  });
  const letters = (d: readonly DeadLetter[]) =>
    d.map((x) => [x.record.partition, x.record.offset, [...x.record.value ?? []], x.error.reason]);
  for (const covered of [0, 10]) {
    const objects = new FeaturizeStage({ featureSet: SHOP_FEATURES });
    const packed = new FeaturizeStage({ featureSet: SHOP_FEATURES });
    const scratch = () => new RowBatch(featureRows(SHOP_FEATURES));
    objects.featurize(records.slice(0, covered), scratch());
    packed.featurize(records.slice(0, covered), scratch());
    const a = scratch(), b = scratch();
    const want = objects.featurize(records, a);
    const got = packed.featurizePacked(packRecords(records), b);
    assert.equal(got.skipped, covered);
    assert.equal(b.length, n - covered);
    assert.deepEqual(columns(b), columns(a));
    assert.deepEqual(letters(got.deadLetters), letters(want.deadLetters));
    assert.deepEqual(
      got.deadLetters.map((d) => (d.record as IndexedRecord).index),
      want.deadLetters.map((d) => records.indexOf(d.record)),
      "a dead letter's index is its record's in the batch",
    );
    const dead = [...bad, 7].filter((i) => i >= covered).length;
    assert.equal(want.deadLetters.length, dead, "the bad records and the tombstone not covered");
    assert.deepEqual(packed.toJSON(), objects.toJSON());
    // Without session ids: the same rows and stores, every id "".
    const quiet = new FeaturizeStage({ featureSet: SHOP_FEATURES, sessionIds: false });
    quiet.featurize(records.slice(0, covered), scratch());
    const c = scratch();
    quiet.featurizePacked(packRecords(records), c);
    assert.deepEqual(columns(c), {
      ...columns(a),
      sessionId: a.sessionId.slice(0, a.length).fill(""),
    });
    assert.ok(a.sessionId.slice(0, a.length).some((id) => id !== ""));
    assert.deepEqual(quiet.toJSON(), objects.toJSON());
  }
});

Deno.test("FeaturizeStage.featurizePacked from fetch-backed records: values packed in spans with the bytes between them", async () => {
  const { SHOP_FEATURES } = await import("../../src/learn/shop_features.ts");
  const { packRecords } = await import("../../src/stream/featurize_worker_protocol.ts");
  const { ViewRecord } = await import("../../src/kafka/consumed_record.ts");
  // Records of two partitions, each partition's in offset order, a few bad and a tombstone.
  const n = 900;
  const plain = Array.from({ length: n }, (_, i): SourceRecord => {
    const e: WireEvent = {
      user_id: 1 + (i % 7),
      url: `/product/${i % 11}`,
      session_id: `s${i % 13}`,
      timestamp: T0 + i,
      ...(i % 10 === 9 ? { action: "purchase", amount: 2.25 } : { action: "click" }),
    } as WireEvent;
    const r = record(i % 2, i >> 1, i % 97 === 5 ? "[1]" : e);
    return i === 8 ? { ...r, value: null } : r;
  }).sort((a, b) => a.partition - b.partition); // runs of one partition, as fetches bring them
  // Each run of one partition as a "fetch": its values with 0–70 bytes of junk before each, so
  // packing copies spans with gaps; the runs change every 120 records (a new fetch).
  const views: SourceRecord[] = [];
  for (let from = 0; from < plain.length; from += 120) {
    const part = plain.slice(from, from + 120).filter((r, i, a) =>
      i === 0 || r.partition === a[0].partition
    );
    const rest = plain.slice(from, from + 120).filter((r) => r.partition !== part[0].partition);
    for (const run of [part, rest].filter((x) => x.length > 0)) {
      const chunks: Uint8Array[] = [];
      const valueStart = new Int32Array(run.length), valueLength = new Int32Array(run.length);
      let at = 0;
      run.forEach((r, k) => {
        const junk = new Uint8Array((k * 7) % 71).fill(0x7b); // "{" bytes: not a value
        chunks.push(junk);
        at += junk.length;
        valueStart[k] = r.value === null ? -1 : at;
        valueLength[k] = r.value === null ? -1 : r.value.length;
        if (r.value !== null) chunks.push(r.value), at += r.value.length;
      });
      const bytes = new Uint8Array(at);
      let o = 0;
      for (const c of chunks) bytes.set(c, o), o += c.length;
      const columns = {
        bytes,
        offsets: Float64Array.from(run, (r) => r.offset),
        timestamps: new Float64Array(run.length),
        keyStart: new Int32Array(run.length),
        keyLength: new Int32Array(run.length).fill(-1),
        valueStart,
        valueLength,
      };
      const fetched = { topic: "t", partition: run[0].partition, columns };
      run.forEach((_, k) => views.push(new ViewRecord(fetched, k)));
    }
  }
  const order = (list: readonly SourceRecord[]) => list.map((r) => `${r.partition}:${r.offset}`);
  const byKey = new Map(plain.map((r) => [`${r.partition}:${r.offset}`, r]));
  const same = views.map((v) => byKey.get(`${v.partition}:${v.offset}`)!);
  assert.equal(new Set(order(views)).size, n, "every record once");
  const objects = new FeaturizeStage({ featureSet: SHOP_FEATURES });
  const packed = new FeaturizeStage({ featureSet: SHOP_FEATURES });
  const a = new RowBatch(featureRows(SHOP_FEATURES)), b = new RowBatch(featureRows(SHOP_FEATURES));
  const want = objects.featurize(same, a);
  const got = packed.featurizePacked(packRecords(views), b);
  assert.equal(b.length, a.length);
  assert.deepEqual([...b.dense.subarray(0, b.length * b.denseWidth)], [
    ...a.dense.subarray(0, a.length * a.denseWidth),
  ]);
  assert.deepEqual([...b.offset.subarray(0, b.length)], [...a.offset.subarray(0, a.length)]);
  assert.deepEqual([...b.kind.subarray(0, b.length)], [...a.kind.subarray(0, a.length)]);
  assert.deepEqual(
    got.deadLetters.map((d) => [d.record.offset, [...d.record.value ?? []]]),
    want.deadLetters.map((d) => [d.record.offset, [...d.record.value ?? []]]),
  );
  assert.ok(want.deadLetters.length >= 2, "bad records and the tombstone are in the batch");
  assert.deepEqual(packed.toJSON(), objects.toJSON());
});
