/**
 * Builds the Kafka client of a command from its resolved configuration: the brokers, a client
 * id naming the command, TLS and SASL when configured, and kafkajs' own logs kept quiet unless
 * `--log-level debug`.
 *
 * @module
 */

import type { CommonConfig } from "./common_config.ts";
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
    ...kafkaSecurity(config),
    ...overrides,
  });
}

/**
 * The TLS and SASL options of the Kafka client from the resolved configuration (PEM text was
 * read by `resolveConfig`). Certificates are always verified: with `--tls-ca` against that CA,
 * else against the system's trust store; there is no "skip verification" switch.
 */
export function kafkaSecurity(
  config: Pick<CommonConfig, "tls" | "sasl">,
): Pick<KafkaClientOptions, "ssl" | "sasl"> {
  const out: Pick<KafkaClientOptions, "ssl" | "sasl"> = {};
  if (config.tls) {
    out.ssl = {
      rejectUnauthorized: true,
      ...(config.tls.ca !== null ? { ca: [config.tls.ca] } : {}),
      ...(config.tls.cert !== null ? { cert: config.tls.cert } : {}),
      ...(config.tls.key !== null ? { key: config.tls.key } : {}),
    };
  }
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    out.sasl = mechanism === "plain"
      ? { mechanism: "plain", username, password }
      : mechanism === "scram-sha-256"
      ? { mechanism: "scram-sha-256", username, password }
      : { mechanism: "scram-sha-512", username, password };
  }
  return out;
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
