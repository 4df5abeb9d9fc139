/**
 * Helper of the warning tests: raises kafkajs' own negative-timeout warning from kafkajs' real
 * request queue.
 *
 * @module
 */

import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

/**
 * Makes kafkajs' request queue schedule its pending-request check with the negative delay it uses
 * when nothing is throttled (`throttledUntil = -1`): the `TimeoutNegativeWarning` kafkajs causes
 * on its first connection. The timer is cleared at once; the warning is emitted all the same
 * (the first negative timeout of the process only: Deno reports it once).
 */
export function kafkajsTimeoutWarning(): void {
  // deno-lint-ignore no-explicit-any
  const queue = new (RequestQueue as any)({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: "warning-test",
    broker: "127.0.0.1:9",
    logger: null,
  });
  queue.scheduleCheckPendingRequests();
  clearTimeout(queue.throttleCheckTimeoutId);
}
