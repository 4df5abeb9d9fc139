/**
 * Test helpers for the dashboard and Prometheus tests on the real broker: a bounded feed of the
 * generator's events (plus an occasional bad record) into a topic, and an in-process trainer
 * (`startTrainer`) on that topic with HTTP on a free loopback port.
 *
 * @module
 */

import { resolveConfig, type TrainConfig } from "../../src/config.ts";
import { type RunningTrainer, startTrainer } from "../../src/cli/train.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { testClient, uniqueGroup } from "../_helpers/kafka.ts";

/** Options of {@linkcode startFeed}. */
export interface FeedOptions {
  /** Generator seed. Default `7`. */
  seed?: number;
  /** The generator drifts from this event on. Default: never. */
  driftAt?: number;
  /** Events per send. Default `2000`. */
  eventsPerSend?: number;
  /** Pause between sends, ms. Default `100`. */
  pauseMs?: number;
  /** The feed stops by itself after this long, ms. Default `60000`. */
  maxMs?: number;
  /** The feed stops by itself after this many events. Default `2000000`. */
  maxEvents?: number;
  /** One bad record (not JSON) per this many sends. Default `5`. */
  badEvery?: number;
}

/** A running feed. */
export interface Feed {
  /** Valid events acknowledged so far. */
  readonly events: number;
  /** Bad records acknowledged so far. */
  readonly bad: number;
  /** Stops sending; resolves with the totals once the producer is closed. */
  stop(): Promise<{ events: number; bad: number }>;
}

/** Starts feeding `topic` (bounded by `maxMs` and `maxEvents`). */
export async function startFeed(
  brokers: string,
  topic: string,
  options: FeedOptions = {},
): Promise<Feed> {
  const producer = await EventProducer.connect(testClient(brokers), { topic, acks: "leader" });
  const generator = new SessionGenerator({
    seed: options.seed ?? 7,
    driftAt: options.driftAt ?? Infinity,
  });
  const perSend = options.eventsPerSend ?? 2000;
  const pauseMs = options.pauseMs ?? 100;
  const deadline = Date.now() + (options.maxMs ?? 60_000);
  const maxEvents = options.maxEvents ?? 2_000_000;
  const badEvery = options.badEvery ?? 5;
  let events = 0, bad = 0, sends = 0, stopped = false;
  const loop = (async () => {
    try {
      while (!stopped && Date.now() < deadline && events < maxEvents) {
        const batch = Array.from(
          { length: Math.min(perSend, maxEvents - events) },
          () => generator.next(),
        );
        await producer.send(batch);
        events += batch.length;
        if (++sends % badEvery === 0) {
          await producer.sendRaw([{ key: "bad", value: "{not json" }]);
          bad++;
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    } finally {
      await producer.close();
    }
  })();
  return {
    get events() {
      return events;
    },
    get bad() {
      return bad;
    },
    async stop() {
      stopped = true;
      await loop;
      return { events, bad };
    },
  };
}

/** A trainer running in-process for a test. */
export interface TestTrainer extends AsyncDisposable {
  readonly running: RunningTrainer;
  readonly url: string;
  /** Lines the trainer logged. */
  readonly log: string[];
  /** Stops the trainer and waits until everything is closed. */
  stop(): Promise<void>;
}

/** Starts `train <topic>` in-process with HTTP on `127.0.0.1:0` and a temporary state dir. */
export async function startTestTrainer(
  brokers: string,
  topic: string,
  flags: string[] = [],
): Promise<TestTrainer> {
  const stateDir = await Deno.makeTempDir({ prefix: "dashboard-test-" });
  const config = resolveConfig(
    [
      "train",
      topic,
      "--http",
      "127.0.0.1:0",
      "--group",
      uniqueGroup("dashboard"),
      "--trigger",
      "250ms",
      "--state-dir",
      stateDir,
      ...flags,
    ],
    { KAFKA_BROKERS: brokers },
  ) as TrainConfig;
  const log: string[] = [];
  const stop = new AbortController();
  const running = await startTrainer(config, {
    log: (line) => log.push(line),
    signal: stop.signal,
  });
  let stopped: Promise<void> | undefined;
  const close = () =>
    stopped ??= (async () => {
      stop.abort();
      try {
        await running.done;
      } finally {
        await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      }
    })();
  return {
    running,
    url: running.url,
    log,
    stop: close,
    [Symbol.asyncDispose]: close,
  };
}

/** Polls `check` every `everyMs` until it returns a value other than `undefined`, or fails. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const everyMs = options.everyMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let i = 0; i < Math.ceil(timeoutMs / everyMs) + 1; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}` +
      (lastError ? `: ${lastError instanceof Error ? lastError.message : lastError}` : ""),
  );
}
