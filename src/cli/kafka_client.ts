/**
 * Builds the Kafka client of a command from its resolved configuration: the brokers, a client
 * id naming the command, and kafkajs' own logs kept quiet unless `--log-level debug`.
 *
 * @module
 */

import type { CommonConfig } from "../config.ts";
import { KafkaClient, type KafkaClientOptions } from "../kafka/client.ts";

/** The Kafka client for one command; `overrides` (e.g. retry settings) win over the defaults. */
export function clientFor(
  config: CommonConfig,
  overrides: Partial<KafkaClientOptions> = {},
): KafkaClient {
  return new KafkaClient({
    brokers: config.brokers,
    clientId: config.clientId,
    logLevel: config.logLevel === "debug" ? "info" : "nothing",
    ...overrides,
  });
}

/** An AbortSignal that fires on the first SIGINT or SIGTERM; `dispose()` removes the listeners. */
export function shutdownSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("stopped by signal"));
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of signals) Deno.removeSignalListener(s, stop);
    },
  };
}
