/**
 * Watches the broker from the trainer's side: polls the end offsets (high watermarks) of the
 * topic's partitions every interval, which gives the consumer lag, and doubles as the health
 * probe — when the poll fails or times out the trainer is reported as cut off from the broker
 * (`/healthz` answers 503 with the reason) until a poll succeeds again.
 *
 * @module
 */

import { withDeadline } from "../util/deadline.ts";

/** Broker-side view: health and the end offsets of the topic's partitions. */
export interface BrokerView {
  /** `false` while the broker cannot be reached. */
  healthy: boolean;
  /** Why not healthy, or `null`. */
  reason: string | null;
  /** End offset (high watermark) per partition, when known. */
  highWatermarks: ReadonlyMap<number, number> | null;
}

/** Options of {@linkcode BrokerWatch}. */
export interface BrokerWatchOptions {
  /** Poll interval, ms. Default `1000`. */
  intervalMs?: number;
  /** A poll slower than this counts as a failure, ms. Default `5000`. */
  timeoutMs?: number;
  /** Describes the broker in reasons, e.g. `"127.0.0.1:9092"`. Default `"the broker"`. */
  name?: string;
}

/** Polls end offsets; see the module documentation. */
export class BrokerWatch implements AsyncDisposable {
  #fetch: () => Promise<ReadonlyMap<number, number>>;
  #intervalMs: number;
  #timeoutMs: number;
  #name: string;
  #view: BrokerView = {
    healthy: false,
    reason: "starting: the broker was not polled yet",
    highWatermarks: null,
  };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  /**
   * Creates a watch; it polls nothing until started.
   *
   * @param fetchHighWatermarks resolves the end offset of every partition of the topic
   * @param options see {@linkcode BrokerWatchOptions}
   */
  constructor(
    fetchHighWatermarks: () => Promise<ReadonlyMap<number, number>>,
    options: BrokerWatchOptions = {},
  ) {
    this.#fetch = fetchHighWatermarks;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#name = options.name ?? "the broker";
  }

  /** The latest view: health, reason, end offsets (kept from the last good poll). */
  view(): BrokerView {
    return this.#view;
  }

  /** Polls once now and then every interval until stopped. Resolves after the first poll. */
  start(): Promise<void> {
    this.#running = this.#poll();
    return this.#running;
  }

  /** Polls once; updates the view. */
  async #poll(): Promise<void> {
    try {
      const highs = await withDeadline(this.#fetch(), this.#timeoutMs, {
        message: `no answer within ${this.#timeoutMs} ms`,
      });
      this.#view = { healthy: true, reason: null, highWatermarks: highs };
    } catch (error) {
      this.#view = {
        healthy: false,
        reason: `cut off from ${this.#name}: ${(error as Error).message ?? error}`,
        highWatermarks: this.#view.highWatermarks,
      };
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#poll(), this.#intervalMs);
  }

  /** Stops polling. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Stops polling. */
  [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    return Promise.resolve();
  }
}
