import assert from "node:assert/strict";
import { register as defaultRegistry } from "prom-client";
import { createHandler, type HandlerOptions } from "../../src/http/handler.ts";
import type { AdminCommand, AdminResult } from "../../src/http/admin.ts";
import { createMetrics } from "../../src/http/metrics.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { FunnelGenerator } from "../../src/generator/funnel_generator.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import type { Snapshot } from "../../src/stream/snapshot.ts";
import { Trainer } from "../../src/stream/trainer.ts";
import { fakeSnapshot, PUBLISHED } from "./fake_snapshot.ts";

const BASE = "http://127.0.0.1:8080";
/** "Now" for the handler: 10 s after publication, 14 s after the checkpoint. */
const clock = { now: () => PUBLISHED + 10_000 };

function handler(overrides: Partial<HandlerOptions> = {}, snapshot = fakeSnapshot()) {
  return createHandler({ snapshot: () => snapshot, clock, ...overrides });
}

function get(path: string, init: RequestInit = {}): Request {
  return new Request(BASE + path, init);
}

function event(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: 48213,
    url: `/products?abcde${i}`,
    action: "view",
    session_id: "p3k9x0a1mz",
    timestamp: 1764080412 + i,
    ...overrides,
  };
}

function predict(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(BASE + "/predict", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string"
      ? body
      : body instanceof Uint8Array
      ? new Blob([body as Uint8Array<ArrayBuffer>])
      : JSON.stringify(body),
  });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return await response.json();
}

Deno.test("handler() serves the model and its metrics as pretty JSON at GET /weights", async () => {
  const response = await handler()(get("/weights"));
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.ok(text.startsWith('{\n  "topic": "clickstream_v2",\n'), "pretty-printed, 2 spaces");
  const body = JSON.parse(text);
  assert.deepEqual(body.weights, {
    position: 0.25,
    log_seconds_since_start: -0.5,
    is_new_session: 1.5,
  });
  assert.equal(body.intercept, -1);
  assert.equal(body.baseline_probability, 1 / (1 + Math.exp(1)));
  assert.equal(body.mode, "adagrad");
  assert.equal(body.feature_set, "position");
  assert.equal(body.updates, 12);
  assert.equal(body.events_trained, 12_000);
  assert.equal(body.batches, 12);
  assert.equal(body.last_batch_id, 11);
  assert.equal(body.time, "2026-11-25T12:00:00.000Z");
  assert.deepEqual(body.metrics.cumulative, {
    events: 12_000,
    log_loss: 0.58,
    constant_log_loss: 0.628,
    bayes_log_loss: 0.569,
    auc: 0.69,
    accuracy: 0.679,
    majority_accuracy: 0.679,
    purchase_rate: 0.321,
  });
  assert.equal(body.metrics.rolling.bayes_log_loss, null);
  assert.equal(body.metrics.last_batch.auc, null, "NaN is served as null");
  assert.equal(body.lag, 42);
  assert.equal(body.events_per_second, 50_000);
  assert.deepEqual(body.bad_records, { not_json: 3, out_of_range: 1 });
  assert.equal(body.skipped_records, 5);
  assert.deepEqual(body.checkpoint, { batch_id: 10, age_seconds: 14 });
  assert.equal(body.topic, "clickstream_v2");
});

Deno.test("handler() writes valid JSON at GET /weights before the first batch", async () => {
  const snapshot = fakeSnapshot({
    updates: 0,
    eventsTrained: 0,
    batches: 0,
    batchId: -1,
    lag: NaN,
    eventsPerSecond: NaN,
    checkpoint: null,
    weights: [NaN, Infinity, 0],
  });
  const response = await handler({}, snapshot)(get("/weights"));
  assert.equal(response.status, 200);
  const body = JSON.parse(await response.text());
  assert.equal(body.lag, null);
  assert.equal(body.events_per_second, null);
  assert.equal(body.checkpoint, null);
  assert.equal(body.last_batch_id, -1);
  assert.deepEqual(body.weights, {
    position: null,
    log_seconds_since_start: null,
    is_new_session: 0,
  });
});

Deno.test("handler() answers GET /healthz with 200 while consuming and 503 with the reason when cut off", async (t) => {
  await t.step("healthy", async () => {
    const response = await handler()(get("/healthz"));
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body.status, "ok");
    assert.equal(body.batch_id, 11);
    assert.equal(body.snapshot_age_seconds, 10);
  });
  await t.step("unhealthy", async () => {
    const snapshot = fakeSnapshot({ healthy: false, healthReason: "broker unreachable for 30s" });
    const response = await handler({}, snapshot)(get("/healthz"));
    assert.equal(response.status, 503);
    const body = await json(response);
    assert.equal(body.status, "unhealthy");
    assert.equal(body.reason, "broker unreachable for 30s");
  });
});

Deno.test("handler() serves the top purchasers at GET /purchases?top=N", async (t) => {
  const serve = handler();
  await t.step("N defaults to 10", async () => {
    const body = await (await serve(get("/purchases"))).json();
    assert.equal(body.length, 10);
    assert.deepEqual(body[0], { user_id: 1000, purchases: 30, amount: 3015 });
  });
  await t.step("top=3", async () => {
    const body = await (await serve(get("/purchases?top=3"))).json();
    assert.deepEqual(body.map((p: { user_id: number }) => p.user_id), [1000, 1001, 1002]);
  });
  await t.step("top=1000 gives all there are", async () => {
    const body = await (await serve(get("/purchases?top=1000"))).json();
    assert.equal(body.length, 30);
  });
  for (const bad of ["0", "1001", "abc", "1.5", "-1", "", "1e2", "99999999999"]) {
    await t.step(`top=${JSON.stringify(bad)} is a 400 naming top`, async () => {
      const response = await serve(get(`/purchases?top=${encodeURIComponent(bad)}`));
      assert.equal(response.status, 400);
      const body = await json(response);
      assert.match(String(body.error), /^top must be an integer in 1\.\.1000/);
      assert.equal(body.field, "top");
    });
  }
});

Deno.test("handler() scores a session's events at POST /predict", async (t) => {
  const serve = handler();
  await t.step("three events", async () => {
    const response = await serve(predict({ events: [event(0), event(1), event(2)] }));
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal(body.session_id, "p3k9x0a1mz");
    assert.deepEqual(body.scores, [1, 2, 3].map((k) => 0.02 + 0.03 * k));
    assert.equal(body.p_purchase, (body.scores as number[])[2]);
  });
  await t.step("extra fields and a charset parameter are accepted", async () => {
    const response = await serve(
      predict({ events: [event(0, { referrer: "x" })], client: "curl" }, {
        "content-type": "Application/JSON; charset=utf-8",
      }),
    );
    assert.equal(response.status, 200);
  });
  await t.step("1000 events is the most", async () => {
    const events = Array.from({ length: 1000 }, (_, i) => event(i));
    const response = await serve(predict({ events }));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()).scores as number[]).length, 1000);
  });
});

Deno.test("handler() answers every bad body of POST /predict with 400 and the reason", async (t) => {
  const serve = handler();
  const cases: [string, string | unknown, RegExp, Record<string, unknown>?][] = [
    ["not JSON", "{events: [", /^the body is not JSON: /],
    ["an empty body", "", /^the body is not JSON: /],
    ["a JSON array", "[]", /must be a JSON object \{"events": \[\.\.\.\]\}, got an array/],
    ["JSON null", "null", /got null/],
    ["a JSON number", "42", /got a number/],
    ["no events", { event: [] }, /^events is missing/, { field: "events" }],
    ["events not an array", { events: { a: 1 } }, /^events must be an array, got an object/],
    ["empty events", { events: [] }, /^events must hold at least one event/],
    [
      "too many events",
      { events: Array.from({ length: 1001 }, (_, i) => event(i)) },
      /^events holds 1001 events, at most 1000 allowed/,
    ],
    [
      "an invalid event (index and the validator's message)",
      { events: [event(0), event(1), event(2, { timestamp: 12 })] },
      /^events\[2\]: timestamp must be epoch seconds in 2000-01-01\.\.2100-01-01, got 12$/,
      { index: 2, field: "timestamp", reason: "out_of_range" },
    ],
    [
      "an event that is not an object",
      { events: [event(0), "click"] },
      /^events\[1\]: an event must be a JSON object/,
      { index: 1, reason: "not_object" },
    ],
    [
      "a purchase without amount",
      { events: [event(0, { action: "purchase" })] },
      /^events\[0\]: a purchase must carry an amount/,
      { index: 0, field: "amount" },
    ],
    [
      "mixed sessions",
      { events: [event(0), event(1), event(2, { session_id: "other" })] },
      /^events\[2\]\.session_id is "other" but events\[0\] is in session "p3k9x0a1mz"/,
      { index: 2, field: "session_id" },
    ],
  ];
  for (const [name, body, pattern, details] of cases) {
    await t.step(name, async () => {
      const response = await serve(predict(body));
      assert.equal(response.status, 400);
      const parsed = await json(response);
      assert.match(String(parsed.error), pattern);
      for (const [key, value] of Object.entries(details ?? {})) assert.equal(parsed[key], value);
    });
  }
  await t.step("a body that is not UTF-8", async () => {
    const response = await serve(predict(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    assert.equal(response.status, 400);
    assert.equal((await json(response)).error, "the body is not valid UTF-8");
  });
});

Deno.test("handler() answers 415 when the body of POST /predict is not JSON by content type", async (t) => {
  const serve = handler();
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
    await t.step(type, async () => {
      const response = await serve(predict({ events: [event(0)] }, { "content-type": type }));
      assert.equal(response.status, 415);
      assert.match(String((await json(response)).error), /^the body must be application\/json/);
    });
  }
  await t.step("no content-type", async () => {
    const request = new Request(BASE + "/predict", {
      method: "POST",
      body: new Blob([JSON.stringify({ events: [event(0)] })]),
    });
    assert.equal(request.headers.get("content-type"), null);
    const response = await serve(request);
    assert.equal(response.status, 415);
    assert.match(String((await json(response)).error), /got no content-type/);
  });
});

Deno.test("handler() answers 413 when the body of POST /predict is over 1 MiB", async (t) => {
  const serve = handler();
  const big = JSON.stringify({ events: [event(0)], pad: "x".repeat(1024 * 1024) });
  await t.step("announced by content-length", async () => {
    const response = await serve(predict(big));
    assert.equal(response.status, 413);
    assert.match(String((await json(response)).error), /larger than 1048576 bytes/);
  });
  await t.step("streamed without content-length", async () => {
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 65536) controller.enqueue(bytes.slice(i, i + 65536));
        controller.close();
      },
    });
    const request = new Request(BASE + "/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    });
    assert.equal(request.headers.get("content-length"), null);
    const response = await serve(request);
    assert.equal(response.status, 413);
  });
  await t.step("a smaller limit applies", async () => {
    const response = await handler({ maxPredictBytes: 100 })(
      predict({ events: [event(0), event(1)] }),
    );
    assert.equal(response.status, 413);
  });
});

Deno.test("handler() guards the admin routes with the bearer token", async (t) => {
  const commands: AdminCommand[] = [];
  const admin = (command: AdminCommand): Promise<AdminResult> => {
    commands.push(command);
    return Promise.resolve({ ok: true, message: `${command.type} done`, batchId: 11 });
  };
  const serve = handler({ adminToken: "s3cret-token", admin });
  const post = (path: string, headers: Record<string, string> = {}) =>
    get(path, { method: "POST", headers });

  await t.step("without Authorization: 401 with WWW-Authenticate", async () => {
    for (const path of ["/checkpoint", "/reset"]) {
      const response = await serve(post(path));
      assert.equal(response.status, 401);
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.match(String((await json(response)).error), /needs Authorization: Bearer/);
    }
  });
  await t.step("another scheme: 401", async () => {
    const response = await serve(post("/checkpoint", { authorization: "Basic czNjcmV0LXRva2Vu" }));
    assert.equal(response.status, 401);
  });
  await t.step("a wrong token: 403", async () => {
    for (const token of ["s3cret-tokem", "s3cret", "s3cret-token-and-more", "x"]) {
      const response = await serve(post("/reset", { authorization: `Bearer ${token}` }));
      assert.equal(response.status, 403);
      assert.equal((await json(response)).error, "the admin token is wrong");
    }
  });
  assert.deepEqual(commands, [], "nothing reached the trainer");
  await t.step("the right token: 200 with the trainer's result", async () => {
    const response = await serve(post("/checkpoint", { authorization: "Bearer s3cret-token" }));
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), {
      command: "checkpoint",
      ok: true,
      message: "checkpoint done",
      batch_id: 11,
    });
    const reset = await serve(post("/reset", { authorization: "bearer s3cret-token" }));
    assert.equal(reset.status, 200);
    assert.deepEqual(commands, [{ type: "checkpoint" }, { type: "reset" }]);
  });
  await t.step("GET on an admin route: 405 with Allow: POST", async () => {
    const response = await serve(get("/checkpoint"));
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
  });
  await t.step("a refused command: 409; a failing one: 500 with the reason", async () => {
    const refusing = handler({
      adminToken: "t",
      admin: () => Promise.resolve({ ok: false, message: "no state directory" }),
    });
    const refused = await refusing(post("/checkpoint", { authorization: "Bearer t" }));
    assert.equal(refused.status, 409);
    assert.equal((await json(refused)).batch_id, null);
    const failing = handler({
      adminToken: "t",
      admin: () => Promise.reject(new Error("disk full")),
    });
    const failed = await failing(post("/checkpoint", { authorization: "Bearer t" }));
    assert.equal(failed.status, 500);
    assert.equal((await json(failed)).error, "checkpoint failed: disk full");
  });
});

Deno.test("handler() has no admin routes when no admin token is configured", async () => {
  const serve = handler();
  for (const path of ["/checkpoint", "/reset"]) {
    const response = await serve(
      get(path, { method: "POST", headers: { authorization: "Bearer x" } }),
    );
    assert.equal(response.status, 404);
    assert.equal((await json(response)).error, `no route POST ${path}`);
  }
});

Deno.test("createHandler() refuses an admin token without an admin function, or an empty one", () => {
  const snapshot = () => fakeSnapshot();
  assert.throws(() => createHandler({ snapshot, adminToken: "t" }), TypeError);
  assert.throws(
    () => createHandler({ snapshot, adminToken: "", admin: () => Promise.reject() }),
    TypeError,
  );
});

Deno.test("handler() answers 405 with Allow for a wrong method and 404 JSON for an unknown route", async (t) => {
  const serve = handler();
  const cases: [string, string, string][] = [
    ["POST", "/weights", "GET, HEAD"],
    ["DELETE", "/metrics", "GET, HEAD"],
    ["PUT", "/purchases", "GET, HEAD"],
    ["GET", "/predict", "POST"],
    ["POST", "/", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const response = await serve(get(path, { method }));
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), allow);
      assert.match(String((await json(response)).error), new RegExp(`^${method} is not allowed`));
    });
  }
  await t.step("unknown routes", async () => {
    for (const path of ["/nope", "/weights/", "/WEIGHTS", "/metrics/x"]) {
      const response = await serve(get(path));
      assert.equal(response.status, 404);
      assert.equal((await json(response)).error, `no route GET ${path}`);
    }
  });
});

Deno.test("handler() answers HEAD like GET without a body", async () => {
  const response = await handler()(get("/weights", { method: "HEAD" }));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.body, null);
});

Deno.test("handler() answers 500 with a JSON reason instead of throwing", async (t) => {
  await t.step("the snapshot cannot be read", async () => {
    const serve = createHandler({
      snapshot: () => {
        throw new Error("no snapshot yet");
      },
      clock,
    });
    for (const path of ["/weights", "/healthz", "/purchases", "/metrics", "/history"]) {
      const response = await serve(get(path));
      assert.equal(response.status, 500);
      assert.equal((await json(response)).error, "internal error: no snapshot yet");
    }
  });
  await t.step("predict throws", async () => {
    const snapshot = fakeSnapshot({
      predict: () => {
        throw new RangeError("model not ready");
      },
    });
    const response = await handler({}, snapshot)(predict({ events: [event(0)] }));
    assert.equal(response.status, 500);
    assert.equal((await json(response)).error, "internal error: model not ready");
  });
});

Deno.test("handler() serves the dashboard at GET /, or the page it is given", async (t) => {
  await t.step(
    "default: the dashboard, which links to the JSON and Prometheus routes",
    async () => {
      const snapshot = fakeSnapshot({ topic: "<script>alert(1)</script>" });
      const response = await handler({}, snapshot)(get("/"));
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      const html = await response.text();
      for (const path of ["weights", "metrics", "purchases", "healthz"]) {
        assert.ok(html.includes(`<a href="${path}">`), `links to ${path}`);
      }
      assert.ok(
        !html.includes("alert(1)"),
        "the page holds no snapshot text (the script fills it)",
      );
    },
  );
  await t.step("a dashboard when given", async () => {
    const serve = handler({ dashboard: () => new Response("dashboard") });
    assert.equal(await (await serve(get("/"))).text(), "dashboard");
  });
});

/** One metric family of the Prometheus text: its HELP, TYPE and samples. */
interface Family {
  help: string | null;
  type: string | null;
  samples: Map<string, string>;
}

/** Parses Prometheus text line by line; fails on a sample before its family's HELP and TYPE. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) families.set(name, f = { help: null, type: null, samples: new Map() });
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      family(m[1]).help = m[2];
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      family(m[1]).type = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `a line that is neither HELP, TYPE nor a sample: ${line}`);
    const f = families.get(m[1]);
    assert.ok(f && f.help !== null && f.type !== null, `${m[1]} has HELP and TYPE before it`);
    assert.ok(
      /^(NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/.test(m[3]),
      `${m[1]} has a valid value: ${m[3]}`,
    );
    f.samples.set(m[2] ?? "", m[3]);
  }
  return families;
}

Deno.test("handler() serves Prometheus text at GET /metrics with HELP and TYPE for every metric", async () => {
  const response = await handler()(get("/metrics"));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const families = parsePrometheus(await response.text());
  for (const [name, f] of families) {
    assert.ok(f.help !== null && f.type !== null, `${name} has HELP and TYPE`);
    if (f.type === "counter") assert.match(name, /_total$/, `counter ${name} ends in _total`);
    else assert.doesNotMatch(name, /_total$/, `non-counter ${name} does not end in _total`);
  }
  const value = (name: string, labels = "") => families.get(name)?.samples.get(labels);
  assert.equal(families.get("clickstream_events_trained_total")?.type, "counter");
  assert.equal(value("clickstream_events_trained_total"), "12000");
  assert.equal(value("clickstream_batches_total"), "12");
  assert.equal(value("clickstream_model_updates_total"), "12");
  assert.equal(value("clickstream_skipped_records_total"), "5");
  assert.equal(value("clickstream_bad_records_total", '{reason="not_json"}'), "3");
  assert.equal(value("clickstream_bad_records_total", '{reason="out_of_range"}'), "1");
  assert.equal(value("clickstream_bad_records_total", '{reason="too_large"}'), "0");
  assert.equal(value("clickstream_log_loss", '{window="cumulative"}'), "0.58");
  assert.equal(value("clickstream_log_loss", '{window="rolling"}'), "0.58");
  assert.equal(
    value("clickstream_baseline_log_loss", '{window="cumulative",baseline="constant"}'),
    "0.628",
  );
  assert.equal(
    value("clickstream_baseline_log_loss", '{window="cumulative",baseline="bayes"}'),
    "0.569",
  );
  assert.equal(
    value("clickstream_baseline_log_loss", '{window="rolling",baseline="bayes"}'),
    undefined,
    "no bayes series when unknown",
  );
  assert.equal(value("clickstream_roc_auc", '{window="cumulative"}'), "0.69");
  assert.equal(value("clickstream_roc_auc", '{window="last_batch"}'), "NaN");
  assert.equal(value("clickstream_accuracy_ratio", '{window="cumulative"}'), "0.679");
  assert.equal(value("clickstream_majority_accuracy_ratio", '{window="rolling"}'), "0.679");
  assert.equal(value("clickstream_consumer_lag_records"), "42");
  assert.equal(value("clickstream_events_per_second"), "50000");
  assert.equal(value("clickstream_model_weight", '{feature="position"}'), "0.25");
  assert.equal(value("clickstream_model_weight", '{feature="log_seconds_since_start"}'), "-0.5");
  assert.equal(value("clickstream_model_intercept"), "-1");
  assert.equal(value("clickstream_checkpoint_age_seconds"), "14");
  assert.equal(value("clickstream_checkpoint_batch_id"), "10");
  assert.equal(value("clickstream_last_batch_id"), "11");
  assert.equal(value("clickstream_healthy"), "1");
  assert.equal(
    value("clickstream_info", '{mode="adagrad",feature_set="position",topic="clickstream_v2"}'),
    "1",
  );
  assert.ok(Number(value("process_resident_memory_bytes")) > 0);
  assert.equal(families.get("process_cpu_user_seconds_total")?.type, "counter");
});

Deno.test("createMetrics() reads the current snapshot at every scrape, counters included", async () => {
  let current: Snapshot = fakeSnapshot();
  const metrics = createMetrics(() => current, { clock, processMetrics: false });
  const scrape = async () => parsePrometheus(await metrics.render());
  let families = await scrape();
  assert.equal(families.get("clickstream_events_trained_total")?.samples.get(""), "12000");
  assert.equal(families.has("process_resident_memory_bytes"), false);

  current = fakeSnapshot({
    eventsTrained: 0,
    batches: 0,
    healthy: false,
    lag: NaN,
    checkpoint: null,
    badRecords: { not_json: 7 },
    featureNames: ["only"],
    weights: [2],
  });
  families = await scrape();
  assert.equal(families.get("clickstream_events_trained_total")?.samples.get(""), "0");
  assert.equal(families.get("clickstream_healthy")?.samples.get(""), "0");
  assert.equal(families.get("clickstream_consumer_lag_records")?.samples.get(""), "NaN");
  assert.equal(families.get("clickstream_checkpoint_age_seconds")?.samples.get(""), "NaN");
  assert.equal(
    families.get("clickstream_bad_records_total")?.samples.get('{reason="out_of_range"}'),
    "0",
  );
  assert.deepEqual([...families.get("clickstream_model_weight")!.samples], [[
    '{feature="only"}',
    "2",
  ]]);
});

Deno.test("a trainer of the fields set: /weights, /metrics, /history and /predict name every feature", async () => {
  const gen = new FunnelGenerator({ seed: 3 });
  const trainer = new Trainer({ topic: "shop", featureSet: FIELD_FEATURES });
  await trainer.processBatch(
    Array.from({ length: 3000 }, (_, offset) => ({
      topic: "shop",
      partition: 0,
      offset,
      key: null,
      value: encodeEvent(gen.next()),
    })),
  );
  const h = handler({}, trainer.snapshot);
  const names = [...FIELD_FEATURES.names];
  const weights = await json(await h(get("/weights")));
  assert.equal(weights.feature_set, "fields");
  assert.deepEqual(Object.keys(weights.weights as object), names);
  assert.deepEqual(Object.keys(weights.raw_weights as object), names);
  for (const w of Object.values(weights.weights as Record<string, number>)) {
    assert.ok(Number.isFinite(w));
  }
  const families = parsePrometheus(await (await h(get("/metrics"))).text());
  const series = [...families.get("clickstream_model_weight")!.samples.keys()];
  assert.deepEqual(series, names.map((feature) => `{feature="${feature}"}`), "one per feature");
  assert.ok(families.get("clickstream_info")!.samples.has(
    '{mode="adagrad",feature_set="fields",topic="shop"}',
  ));
  const history = await json(await h(get("/history")));
  const state = history.state as { featureSet: string; featureNames: string[]; weights: number[] };
  assert.equal(state.featureSet, "fields");
  assert.deepEqual(state.featureNames, names);
  assert.equal(state.weights.length, names.length);
  const events = Array.from(
    { length: 3 },
    (_, i) => event(i, { url: ["/", "/product/3", "/cart"][i] }),
  );
  const scores = await json(await h(predict({ events })));
  assert.equal((scores.scores as number[]).length, 3);
});

Deno.test("createMetrics() uses a registry of its own, never prom-client's default one", async () => {
  const a = createMetrics(() => fakeSnapshot());
  const b = createMetrics(() => fakeSnapshot({ eventsTrained: 5 }));
  assert.notEqual(a.registry, b.registry);
  assert.notEqual(a.registry, defaultRegistry);
  assert.match(await b.render(), /^clickstream_events_trained_total 5$/m);
  assert.doesNotMatch(await defaultRegistry.metrics(), /clickstream_/);
});

Deno.test("handler() serves /weights and /metrics for real under Deno.serve", async () => {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    handler(),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const weights = await fetch(`${base}/weights`);
    assert.equal(weights.status, 200);
    assert.equal((await weights.json()).events_trained, 12_000);
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheus(await metrics.text());
    assert.equal(families.get("clickstream_events_trained_total")?.samples.get(""), "12000");
    const bad = await fetch(`${base}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    controller.abort();
    await server.finished;
  }
});

Deno.test("handler() shows a feature-log learner's model version and per-partition view", async () => {
  const sources = [
    { partition: 0, eventsTrained: 700, nextOffset: 710 },
    { partition: 3, eventsTrained: null, nextOffset: 55 },
  ];
  const serve = handler({}, fakeSnapshot({ modelVersion: 93, sources }));
  const body = JSON.parse(await (await serve(get("/weights"))).text());
  assert.equal(body.model_version, 93);
  assert.deepEqual(body.sources, [
    { partition: 0, events_trained: 700, next_offset: 710 },
    { partition: 3, events_trained: null, next_offset: 55 },
  ]);
  const metrics = parsePrometheus(await (await serve(get("/metrics"))).text());
  assert.equal(metrics.get("clickstream_model_version")?.samples.get(""), "93");
  const history = JSON.parse(await (await serve(get("/history"))).text());
  assert.equal(history.state.modelVersion, 93, "the dashboard gets it");
  // train's snapshots have none: no model_version on /weights, NaN in /metrics.
  const train = handler();
  assert.equal("model_version" in JSON.parse(await (await train(get("/weights"))).text()), false);
  const trainMetrics = parsePrometheus(await (await train(get("/metrics"))).text());
  assert.equal(trainMetrics.get("clickstream_model_version")?.samples.get(""), "NaN");
});

Deno.test("a trainer of --target action: /weights, /metrics and /predict answer per class", async () => {
  const gen = new FunnelGenerator({ seed: 5 });
  const trainer = new Trainer({ topic: "shop", featureSet: FIELD_FEATURES, target: "action" });
  await trainer.processBatch(
    Array.from({ length: 3000 }, (_, offset) => ({
      topic: "shop",
      partition: 0,
      offset,
      key: null,
      value: encodeEvent(gen.next()),
    })),
  );
  const h = handler({}, trainer.snapshot);
  const classes = ["click", "view", "scroll", "purchase"];
  const weights = await json(await h(get("/weights")));
  const action = weights.action as {
    classes: string[];
    weights: Record<string, { weights: Record<string, number>; intercept: number }>;
    metrics: {
      events: number;
      log_loss: number;
      constant_log_loss: number;
      rolling: { confusion: number[][] };
      classes: Record<string, { count: number; precision: number | null; recall: number }>;
    };
  };
  assert.deepEqual(action.classes, classes);
  assert.deepEqual(Object.keys(action.weights), classes);
  assert.deepEqual(Object.keys(action.weights.view.weights), [...FIELD_FEATURES.names]);
  assert.equal(action.metrics.events, 3000);
  assert.ok(action.metrics.log_loss > 0 && action.metrics.log_loss < Math.log(4));
  assert.equal(action.metrics.rolling.confusion.flat().reduce((a, b) => a + b, 0), 3000);
  assert.equal(
    classes.reduce((n, c) => n + action.metrics.classes[c].count, 0),
    3000,
  );
  const families = parsePrometheus(await (await h(get("/metrics"))).text());
  assert.deepEqual(
    [...families.get("clickstream_action_recall")!.samples.keys()],
    classes.map((c) => `{class="${c}"}`),
  );
  assert.equal(families.get("clickstream_action_confusion")!.samples.size, 16);
  assert.ok(families.get("clickstream_action_log_loss")!.samples.has('{window="rolling"}'));
  const events = Array.from(
    { length: 3 },
    (_, i) => event(i, { url: ["/", "/product/3", "/cart"][i] }),
  );
  const body = await json(await h(predict({ events })));
  const last = body.p_action as Record<string, number>;
  assert.deepEqual(Object.keys(last), classes);
  const sum = Object.values(last).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12, `sums to ${sum}`);
  assert.equal((body.action_scores as unknown[]).length, 3);
  assert.equal((body.scores as number[]).length, 3);
  const history = await json(await h(get("/history")));
  const dash = (history.state as { action: { classes: string[]; perClass: unknown[] } }).action;
  assert.deepEqual(dash.classes, classes, "the dashboard gets the per-class figures");
  assert.equal(dash.perClass.length, 4);
  const page = await (await h(get("/"))).text();
  assert.match(page, /<table class="weights" id="action">/);
  // The purchase target alone has none of it.
  const plain = handler();
  assert.equal((await json(await plain(get("/history")))).state !== undefined, true);
  assert.equal(
    ((await json(await plain(get("/history")))).state as { action: unknown }).action,
    null,
  );
  assert.equal("action" in await json(await plain(get("/weights"))), false);
  assert.doesNotMatch(await (await plain(get("/metrics"))).text(), /clickstream_action_recall\{/);
});

Deno.test("handler(): /weights and /metrics carry the largest hashed url buckets, /metrics none without", async () => {
  const topBuckets = [{ index: 17, weight: -0.75 }, { index: 4000, weight: 0.5 }];
  const snapshot = fakeSnapshot({ featureSet: "shop", topBuckets });
  const body = await json(await handler({}, snapshot)(get("/weights")));
  assert.deepEqual(body.url_buckets, [{ bucket: 17, weight: -0.75 }, {
    bucket: 4000,
    weight: 0.5,
  }]);
  const families = parsePrometheus(await (await handler({}, snapshot)(get("/metrics"))).text());
  assert.deepEqual([...families.get("clickstream_url_bucket_weight")!.samples], [
    ['{bucket="17"}', "-0.75"],
    ['{bucket="4000"}', "0.5"],
  ]);
  const dense = parsePrometheus(await (await handler()(get("/metrics"))).text());
  assert.equal(dense.get("clickstream_url_bucket_weight")?.samples.size ?? 0, 0);
  assert.deepEqual((await json(await handler()(get("/weights")))).url_buckets, []);
});
