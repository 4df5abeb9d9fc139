/**
 * The load generator's orchestrator: starts one Web Worker per shard (`worker.ts`), splits the
 * run's bound between them (events exactly, bytes by share, duration by a timer), starts them
 * together once all are connected, serves their rate-token requests from one shared
 * {@linkcode TokenBucket} when `rate` is set, sums their progress, and ends the run — on
 * completion, on `signal` (Ctrl-C), on a worker's fatal error, or when nothing has been
 * acknowledged for `stallTimeoutMs` (a broker that stopped answering) — by stopping every worker,
 * waiting a bounded time for their final counts and terminating them. It never hangs: every wait
 * has a deadline. The entry point is {@linkcode runLoadWorkers}.
 *
 * @module
 */

import { PROFILES } from "../generator/generator.ts";
import {
  defaultWorkers,
  type LoadWorkersOptions,
  type LoadWorkersResult,
} from "./load_workers_options.ts";
import type { FromWorker, ToWorker, WorkerCounts, WorkerSpec } from "./messages.ts";
import type { ProgressSample } from "./progress.ts";
import { RateGate, TokenBucket } from "./token_bucket.ts";
import { MONOTONIC_CLOCK } from "../util/clock.ts";

export type {
  GeneratorTunables,
  LoadWorkersOptions,
  LoadWorkersResult,
} from "./load_workers_options.ts";
export { defaultWorkers } from "./load_workers_options.ts";

interface WorkerState {
  worker: Worker;
  counts: WorkerCounts;
  ready: boolean;
  done: boolean;
}

function split(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function check(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot run the load test with ${name} ${value}: expected an integer ≥ ${min}.`,
    );
  }
}

/**
 * Runs the load test on Web Workers; resolves when every worker has stopped.
 *
 * @example A million events to a local broker (needs one: `deno task kafka`)
 * ```ts ignore
 * import { KafkaAdmin } from "../kafka/admin.ts";
 * import { KafkaClient } from "../kafka/client.ts";
 * import { runLoadWorkers } from "./orchestrator.ts";
 * import { formatProgress, formatSummary } from "./progress.ts";
 *
 * const brokers = ["127.0.0.1:9092"];
 * const topic = "clickstream_loadtest";
 * {
 *   await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
 *   await admin.ensureTopic(topic, { partitions: 4 });
 * }
 * const target = { kind: "events", events: 1_000_000 } as const;
 * const result = await runLoadWorkers({
 *   brokers,
 *   topic,
 *   target,
 *   partitions: 4, // the records carry their partition: kafkajs need not hash the keys
 *   onProgress: (sample, previous) => console.log(formatProgress(sample, previous, target)),
 * });
 * console.log(formatSummary({ ...result, setup: "4 workers x 4 senders, acks leader" }));
 * if (result.outcome === "failed") throw new Error(result.failure ?? "the load test failed");
 * ```
 *
 * @param options The run's target, brokers and topic, and how to generate and send.
 * @returns The final totals and how the run ended; never rejects for a broker that stops
 * answering (the outcome is then `"failed"`).
 * @throws {RangeError} for an option out of range (workers, senders, batch size, profile)
 */
export async function runLoadWorkers(options: LoadWorkersOptions): Promise<LoadWorkersResult> {
  const clock = options.clock ?? MONOTONIC_CLOCK;
  const now = () => clock.now();
  const workers = options.workers ?? defaultWorkers();
  const senders = options.sendersPerWorker ?? 4;
  const acks = options.acks ?? "leader";
  const idempotent = acks === "all";
  const rate = options.rate ?? null;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const profile = options.profile ?? "original";
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new RangeError(
      `Cannot run the load test with profile ${JSON.stringify(profile)}: expected one of ${
        PROFILES.join(", ")
      }.`,
    );
  }
  const exactOrder = options.seed != null && workers === 1 && senders === 1;
  const inFlight = idempotent || exactOrder ? 1 : options.inFlight ?? 4;
  let batchRecords = options.batchRecords ?? 1000;
  if (rate !== null) batchRecords = Math.max(1, Math.min(batchRecords, Math.floor(rate / 20)));
  const target = options.target;
  const maxActiveSessions = options.maxActiveSessions ?? 5000;
  check("workers", workers, 1);
  check("sendersPerWorker", senders, 1);
  check("inFlight", inFlight, 1);
  check("batchRecords", batchRecords, 1);
  if (workers > 1 && Math.floor(maxActiveSessions / workers) < 1) {
    throw new RangeError(
      `Cannot run the load test with ${workers} workers and ${maxActiveSessions} sessions: each worker needs at least one.`,
    );
  }
  const progressIntervalMs = options.progressIntervalMs ?? 2000;
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;

  const bucket = rate === null ? null : new TokenBucket(rate, {
    burst: Math.max(batchRecords, rate / 10),
    clock,
  });
  const gate = bucket === null ? null : new RateGate(bucket);

  const states: WorkerState[] = [];
  const errorMessages: string[] = [];
  let failure: string | null = null;
  let interrupted = false;
  let stopped = false;
  let startedAt = now();
  let stoppedAt: number | null = null;
  let endedAt: number | null = null;

  let wake: () => void = () => {};
  const changed = () => wake();
  const nextChange = () => new Promise<void>((resolve) => (wake = resolve));

  const send = (state: WorkerState, message: ToWorker) => {
    if (!state.done) state.worker.postMessage(message);
  };
  const stopAll = () => {
    if (stopped) return;
    stopped = true;
    stoppedAt = now();
    gate?.close();
    for (const s of states) send(s, { type: "stop" });
    changed();
  };
  const fail = (message: string) => {
    failure ??= message;
    stopAll();
  };
  const totals = (): ProgressSample => {
    const sample = { elapsedMs: (endedAt ?? now()) - startedAt, events: 0, bytes: 0, errors: 0 };
    if (!states.every((s) => s.ready)) sample.elapsedMs = 0;
    for (const s of states) {
      sample.events += s.counts.events;
      sample.bytes += s.counts.bytes;
      sample.errors += s.counts.errors;
    }
    return sample;
  };

  for (let i = 0; i < workers; i++) {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    const state: WorkerState = {
      worker,
      counts: { events: 0, bytes: 0, errors: 0 },
      ready: false,
      done: false,
    };
    states.push(state);
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      switch (m.type) {
        case "ready":
          state.ready = true;
          changed();
          break;
        case "progress":
          state.counts = { events: m.events, bytes: m.bytes, errors: m.errors };
          break;
        case "acquire":
          if (gate === null) send(state, { type: "grant", id: m.id, granted: true });
          else {
            gate.acquire(m.n).then((granted) => send(state, { type: "grant", id: m.id, granted }));
          }
          break;
        case "error":
          if (errorMessages.length < 10 && !errorMessages.includes(m.message)) {
            errorMessages.push(m.message);
          }
          break;
        case "fatal":
          fail(`worker ${i}: ${m.message}`);
          break;
        case "done":
          state.counts = { events: m.events, bytes: m.bytes, errors: m.errors };
          state.done = true; // the worker closes itself
          changed();
          break;
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      fail(`worker ${i} crashed: ${e.message}`);
    };
    const spec: WorkerSpec = {
      index: i,
      brokers: [...options.brokers],
      clientId: options.clientId ?? "clickstream-loadtest",
      security: options.security ?? {},
      kafkaLogs: options.kafkaLogs ?? false,
      topic: options.topic,
      partitions: options.partitions ?? null,
      senders,
      inFlight,
      batchRecords,
      acks,
      compression: options.compression ?? "none",
      idempotent,
      quota: target.kind === "events"
        ? { events: split(target.events, workers, i) }
        : target.kind === "bytes"
        ? { bytes: Math.ceil(target.bytes / workers) }
        : null,
      rateLimited: rate !== null,
      generator: {
        profile,
        seed,
        shard: workers > 1 ? { index: i, count: workers } : null,
        driftAt: options.driftAt == null ? null : Math.floor(options.driftAt / workers),
        wallClock: options.seed == null && profile === "original",
        maxActiveSessions,
        newSessionProbability: options.newSessionProbability ?? 0.05,
        basePurchaseProbability: options.basePurchaseProbability ?? 0.02,
        purchaseScaling: options.purchaseScaling ?? 0.03,
        maxPurchaseProbability: options.maxPurchaseProbability ?? 0.5,
      },
      progressIntervalMs: Math.min(250, progressIntervalMs),
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      maxConsecutiveFailures: 5,
    };
    send(state, { type: "start", spec });
  }

  const onAbort = () => {
    interrupted = true;
    stopAll();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const timers: ReturnType<typeof setTimeout>[] = [];
  try {
    // Connect: every worker ready (or a failure, or Ctrl-C).
    while (!stopped && !states.every((s) => s.ready)) await nextChange();
    startedAt = now();
    if (!stopped) {
      for (const s of states) send(s, { type: "go" });
      // A duration beyond setTimeout's range (e.g. Infinity) runs until stopped.
      if (target.kind === "duration" && target.ms <= 2_147_483_647) {
        timers.push(setTimeout(stopAll, target.ms));
      }
      let previous: ProgressSample | null = null;
      let lastEvents = 0;
      let lastAdvance = now();
      timers.push(setInterval(() => {
        if (stopped) return;
        const sample = totals();
        options.onProgress?.(sample, previous);
        previous = sample;
      }, progressIntervalMs));
      timers.push(setInterval(() => {
        if (stopped) return;
        const sample = totals();
        if (sample.events + sample.errors !== lastEvents) {
          lastEvents = sample.events + sample.errors;
          lastAdvance = now();
        } else if (now() - lastAdvance > stallTimeoutMs) {
          fail(
            `no record was acknowledged for ${Math.round(stallTimeoutMs / 1000)} s: Kafka at ${
              options.brokers.join(",")
            } stopped answering`,
          );
        }
      }, Math.min(1000, stallTimeoutMs)));
    }
    // Run until every worker is done (quota reached, or stopped).
    const stopDeadline = () => stoppedAt !== null && now() - stoppedAt > stopTimeoutMs;
    while (!states.every((s) => s.done) && !stopDeadline()) {
      const tick = setTimeout(changed, stopped ? 250 : 1000);
      await nextChange();
      clearTimeout(tick);
    }
    endedAt = now();
  } finally {
    for (const t of timers) clearTimeout(t);
    options.signal?.removeEventListener("abort", onAbort);
    gate?.close();
  }
  let terminated = 0;
  for (const s of states) {
    if (!s.done) {
      terminated++;
      s.worker.terminate();
      s.done = true;
    }
  }
  if (terminated > 0 && failure === null && !interrupted) {
    failure = `${terminated} worker(s) did not stop within ${stopTimeoutMs} ms and were terminated`;
  }
  const final = totals();
  return {
    final,
    outcome: failure !== null ? "failed" : interrupted ? "interrupted" : "done",
    failure,
    errorMessages,
    seed,
    terminated,
  };
}
