/**
 * Keeps kafkajs' own negative-timeout warning off stderr, and nothing else. kafkajs 2.2.4's
 * request queue calls `setTimeout(fn, throttledUntil - Date.now())` with `throttledUntil = -1`:
 * a negative delay, which runs after 1 ms and which Deno's node:timers (like Node 24) reports as
 * a `TimeoutNegativeWarning` through the process's `warning` event. Harmless, and noise in the
 * CLI's output.
 *
 * The runtime prints warnings with a `warning` listener of its own (`onWarning`). Replacing
 * `process.emitWarning` does not help (Deno's timers import `emitWarning` directly), so
 * {@linkcode quietKafkaJsTimeoutWarning} swaps that one printer for a filter that drops a
 * `TimeoutNegativeWarning` raised from kafkajs' request queue (its stack says where it came from)
 * and prints every other warning as the runtime would. Every other `warning` listener stays
 * where it is and hears every warning, kafkajs' included. The kafkajs gate
 * (`src/kafka/kafkajs.ts`) installs it once, when it loads.
 *
 * @module
 */

import process from "node:process";

type WarningListener = (warning: Error) => void;

const MARK = Symbol.for("clickstream.kafka.quietTimeoutWarning");

/** A stack frame in kafkajs' request queue (its `src/network/requestQueue/index.js`). */
const KAFKAJS_REQUEST_QUEUE =
  /kafkajs[\\/](?:[^\\/\s]+[\\/])?src[\\/]network[\\/]requestQueue[\\/]/;

/**
 * Whether `warning` is the negative-timeout warning of kafkajs' request queue: a
 * `TimeoutNegativeWarning` whose stack passes through kafkajs' `requestQueue`. The same warning
 * from anyone else's `setTimeout` is not.
 */
export function isKafkaJsTimeoutWarning(warning: unknown): boolean {
  const w = warning as { name?: unknown; stack?: unknown } | null | undefined;
  return w?.name === "TimeoutNegativeWarning" && typeof w.stack === "string" &&
    KAFKAJS_REQUEST_QUEUE.test(w.stack);
}

/**
 * Replaces the runtime's warning printer (the `warning` listener named `onWarning`) with one
 * that skips {@linkcode isKafkaJsTimeoutWarning} warnings and hands every other warning to it.
 * Leaves every other listener alone. Does nothing when there is no such printer (warnings are
 * off) or it was already replaced. Idempotent.
 */
export function quietKafkaJsTimeoutWarning(): void {
  const listeners = process.listeners("warning") as WarningListener[];
  if (listeners.some((l) => (l as unknown as Record<symbol, boolean>)[MARK])) return;
  const printer = listeners.find((l) => l.name === "onWarning");
  if (printer === undefined) return;
  const filter: WarningListener = (warning) => {
    if (isKafkaJsTimeoutWarning(warning)) return;
    printer.call(process, warning);
  };
  (filter as unknown as Record<symbol, boolean>)[MARK] = true;
  process.removeListener("warning", printer);
  process.on("warning", filter);
}
