import assert from "node:assert/strict";
import { dashboardHtml, dashboardPage } from "../../src/http/dashboard.ts";
import {
  type DashboardUpdate,
  dashboardUpdate,
  eventStream,
  sseMessage,
} from "../../src/http/dashboard_events.ts";
import { createHandler } from "../../src/http/handler.ts";
import type { HistoryPoint, Snapshot } from "../../src/stream/snapshot.ts";
import { fakeSnapshot, PUBLISHED } from "./fake_snapshot.ts";

function point(batchId: number): HistoryPoint {
  return {
    batchId,
    time: PUBLISHED + batchId * 1000,
    eventsTrained: (batchId + 1) * 100,
    weights: [0.1 * batchId, -0.2, 0.3],
    intercept: -1,
    rollingLogLoss: 0.6,
    rollingConstantLogLoss: 0.63,
    rollingBayesLogLoss: null,
    rollingAuc: NaN,
    eventsPerSecond: 1000,
    lag: NaN,
    badRecords: 0,
  };
}

function withHistory(ids: number[], extra: Partial<Snapshot> = {}): Snapshot {
  const last = ids.length > 0 ? ids[ids.length - 1] : -1;
  return fakeSnapshot({ history: ids.map(point), batchId: last, ...extra });
}

/** Fake interval timers: `tick()` runs the registered callback once. */
function fakeTimers() {
  let fn: (() => void) | null = null;
  let cleared = 0;
  return {
    timers: {
      setInterval(f: () => void, _ms: number) {
        fn = f;
        return 1;
      },
      clearInterval(_id: number) {
        fn = null;
        cleared++;
      },
    },
    tick(times = 1) {
      for (let i = 0; i < times; i++) fn?.();
    },
    get running() {
      return fn !== null;
    },
    get cleared() {
      return cleared;
    },
  };
}

/** Reads SSE messages from a stream until `count` `update` events arrived (or it ended). */
class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  ended = false;
  comments = 0;

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  /** Every complete message read so far, parsed; resolves when nothing more is queued. */
  async drain(): Promise<DashboardUpdate[]> {
    const out: DashboardUpdate[] = [];
    // Chunks are enqueued synchronously by the fake timers: read while a read resolves at once.
    while (!this.ended) {
      this.#pending ??= this.#reader.read();
      const next = await Promise.race([
        this.#pending,
        new Promise<null>((resolve) => queueMicrotask(() => queueMicrotask(() => resolve(null)))),
      ]);
      if (next === null) break;
      this.#pending = null;
      if (next.done) {
        this.ended = true;
        break;
      }
      this.#buffer += this.#decoder.decode(next.value);
    }
    let end;
    while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      if (block.startsWith(":")) this.comments++;
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (data) out.push(JSON.parse(data.slice(6)));
    }
    return out;
  }

  cancel() {
    return this.#reader.cancel();
  }
}

Deno.test("dashboardUpdate() sends the whole history first, then only new points, and a reset when the history restarted", async (t) => {
  await t.step("first message: reset with every point", () => {
    const u = dashboardUpdate(withHistory([0, 1, 2]), -1, 5);
    assert.equal(u.reset, true);
    assert.deepEqual(u.points.map((p) => p.batchId), [0, 1, 2]);
    assert.equal(u.now, 5);
    assert.equal(u.state.batchId, 2);
    assert.deepEqual(u.state.weights, [0.25, -0.5, 1.5]);
  });
  await t.step("then the points after the last one sent", () => {
    const u = dashboardUpdate(withHistory([0, 1, 2, 3, 4]), 2, 5);
    assert.equal(u.reset, false);
    assert.deepEqual(u.points.map((p) => p.batchId), [3, 4]);
  });
  await t.step("nothing new: no points", () => {
    assert.deepEqual(dashboardUpdate(withHistory([0, 1, 2]), 2, 5).points, []);
  });
  await t.step("history trimmed at the front: still incremental", () => {
    const u = dashboardUpdate(withHistory([5, 6, 7, 8]), 7, 5);
    assert.equal(u.reset, false);
    assert.deepEqual(u.points.map((p) => p.batchId), [8]);
  });
  await t.step("the trainer was reset (history emptied, then refilled): reset", () => {
    assert.equal(dashboardUpdate(withHistory([]), 7, 5).reset, true);
    const u = dashboardUpdate(withHistory([9]), 7, 5);
    assert.equal(u.reset, true);
    assert.deepEqual(u.points.map((p) => p.batchId), [9]);
  });
  await t.step("drift total: from the detector, else the markers", () => {
    const drifts = [{ batchId: 1, eventsTrained: 150, time: PUBLISHED, detector: "page-hinkley" }];
    assert.equal(dashboardUpdate(withHistory([0, 1], { drifts }), -1, 5).state.driftsTotal, 1);
    const drift = {
      detector: "page-hinkley",
      total: 4,
      statistic: 3,
      threshold: 120,
      onDrift: "boost",
    };
    const u = dashboardUpdate(withHistory([0, 1], { drifts, drift }), -1, 5);
    assert.equal(u.state.driftsTotal, 4);
    assert.deepEqual(u.state.drift, drift);
    assert.deepEqual(u.drifts, drifts);
  });
});

Deno.test("sseMessage() writes one update event whose data is JSON with null for NaN", () => {
  const text = sseMessage(dashboardUpdate(withHistory([0]), -1, 5));
  assert.match(text, /^event: update\ndata: \{.*\}\n\n$/s);
  assert.equal(text.split("\n").length, 4, "the data is on one line");
  const data = JSON.parse(text.split("\n")[1].slice(6));
  assert.equal(data.points[0].rollingAuc, null);
});

Deno.test("eventStream() sends a message per new snapshot and ends when it should", async (t) => {
  await t.step("a message at once, then one per published snapshot, none in between", async () => {
    const fake = fakeTimers();
    let current = withHistory([0]);
    const response = eventStream(() => current, {
      timers: fake.timers,
      clock: { now: () => 42 },
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = new SseReader(response);
    let got = await reader.drain();
    assert.equal(got.length, 1);
    assert.equal(got[0].reset, true);
    fake.tick(3);
    assert.deepEqual(await reader.drain(), [], "same snapshot: nothing");
    current = withHistory([0, 1, 2]);
    fake.tick();
    got = await reader.drain();
    assert.equal(got.length, 1);
    assert.equal(got[0].reset, false);
    assert.deepEqual(got[0].points.map((p) => p.batchId), [1, 2]);
    current = withHistory([0, 1, 2], { time: PUBLISHED + 1 }); // an empty batch: new figures
    fake.tick();
    got = await reader.drain();
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].points, []);
    await reader.cancel(); // the client went away: Deno.serve cancels the body
    assert.equal(fake.running, false, "the poll timer is cleared");
  });
  await t.step("ends when the server's signal aborts", async () => {
    const fake = fakeTimers();
    const server = new AbortController();
    const response = eventStream(() => withHistory([0]), {
      timers: fake.timers,
      signal: server.signal,
    });
    const reader = new SseReader(response);
    await reader.drain();
    server.abort();
    await reader.drain();
    assert.equal(reader.ended, true);
    assert.equal(fake.running, false);
  });
  await t.step("ends after maxStreamMs; writes keep-alive comments when idle", async () => {
    const fake = fakeTimers();
    const same = withHistory([0]);
    const response = eventStream(() => same, {
      timers: fake.timers,
      pollMs: 500,
      keepAliveMs: 1000,
      maxStreamMs: 5000,
    });
    const reader = new SseReader(response);
    await reader.drain();
    fake.tick(4);
    await reader.drain();
    assert.equal(reader.comments, 2, "a keep-alive per idle second");
    fake.tick(6);
    await reader.drain();
    assert.equal(reader.ended, true);
    assert.equal(fake.running, false);
  });
  await t.step("cancelling the body clears the timer", async () => {
    const fake = fakeTimers();
    const response = eventStream(() => withHistory([0]), {
      timers: fake.timers,
    });
    const reader = new SseReader(response);
    await reader.drain();
    await reader.cancel();
    assert.equal(fake.running, false);
    assert.equal(fake.cleared, 1);
  });
  await t.step("a server already stopping gets an empty stream", async () => {
    const fake = fakeTimers();
    const server = new AbortController();
    server.abort();
    const response = eventStream(() => withHistory([0]), {
      timers: fake.timers,
      signal: server.signal,
    });
    assert.equal(await response.text(), "");
    assert.equal(fake.running, false);
  });
});

Deno.test("handler() serves /history as JSON and /events as an event stream", async () => {
  const snapshot = withHistory([0, 1]);
  const server = new AbortController();
  const serve = createHandler({
    snapshot: () => snapshot,
    clock: { now: () => PUBLISHED },
    signal: server.signal,
  });
  const history = await (await serve(new Request("http://127.0.0.1/history"))).json();
  assert.equal(history.reset, true);
  assert.deepEqual(history.points.map((p: HistoryPoint) => p.batchId), [0, 1]);
  assert.equal(history.now, PUBLISHED);
  const events = await serve(new Request("http://127.0.0.1/events"));
  assert.equal(events.status, 200);
  assert.match(events.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = new SseReader(events);
  const [first] = await reader.drain();
  assert.deepEqual(first, history);
  server.abort();
  await reader.drain();
  assert.equal(reader.ended, true);
});

Deno.test("dashboardPage() is one self-contained page: uPlot and the script inline, nothing fetched from elsewhere", async () => {
  const response = dashboardPage();
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const html = await response.text();
  assert.equal(html, dashboardHtml());
  assert.ok(html.includes("uPlot (v1.6.32)") || html.includes("uPlot"), "uPlot is inline");
  assert.ok(html.includes('new EventSource("events")'), "the page script is inline");
  assert.ok(!/<script[^>]+src=/i.test(html), "no external script");
  assert.ok(!/<link[^>]+href="(?!data:)/i.test(html), "no external stylesheet or icon");
  assert.ok(
    !/https?:\/\/(?!github\.com\/leeoniya)/.test(html.replace(/http:\/\/www\.w3\.org[^"']*/g, "")),
    "no absolute URL",
  );
  assert.equal(
    (html.match(/<\/script>/g) ?? []).length,
    2,
    "two script elements, not broken early",
  );
  assert.ok(html.includes('name="viewport"'));
});

Deno.test("eventStream() ends the stream when the snapshot cannot be read", async () => {
  const fake = fakeTimers();
  let fail = false;
  const snap = withHistory([0]);
  const response = eventStream(() => {
    if (fail) throw new Error("no snapshot");
    return snap;
  }, { timers: fake.timers });
  const reader = new SseReader(response);
  assert.equal((await reader.drain()).length, 1);
  fail = true;
  fake.tick();
  await reader.drain();
  assert.equal(reader.ended, true);
  assert.equal(fake.running, false);
});
