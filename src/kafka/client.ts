/**
 * The Kafka connection settings of the program, and the one place that builds a kafkajs client
 * from them. `KafkaClient` holds the broker list, client id, timeouts, retry policy, log level
 * and the (pass-through) TLS/SASL settings; producers, consumers and the admin of this folder are
 * made from it. kafkajs' own log chatter is off unless asked for. kafkajs comes from the gate,
 * `./kafkajs.ts`, the only module that imports it.
 *
 * @module
 */

import type { ConnectionOptions } from "node:tls";
import {
  Kafka,
  type LogEntry,
  logLevel as KafkaJsLogLevel,
  type RetryOptions,
  type SASLOptions,
} from "./kafkajs.ts";
import { probeTls } from "./tls_probe.ts";
import { DeadlineError, settleWithin, withDeadline } from "../util/deadline.ts";

/** How much of kafkajs' own logging to show. */
export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

/** Every {@linkcode KafkaLogLevel}, for flag validation. */
export const KAFKA_LOG_LEVELS: readonly KafkaLogLevel[] = [
  "nothing",
  "error",
  "warn",
  "info",
  "debug",
];

/** One kafkajs log line, as handed to {@linkcode KafkaClientOptions.logger}. */
export interface KafkaLogLine {
  /** Its level. */
  level: Exclude<KafkaLogLevel, "nothing">;
  /** The kafkajs component, e.g. `Connection`, `Consumer`. */
  namespace: string;
  /** The message. */
  message: string;
  /** Extra fields kafkajs attached (broker, error, ...). */
  fields: Record<string, unknown>;
}

/** Options of {@linkcode KafkaClient}. */
export interface KafkaClientOptions {
  /** Bootstrap brokers, `host:port`, as an array or a comma-separated string. Required. */
  brokers: readonly string[] | string;
  /**
   * The client id the broker sees.
   *
   * @default {"clickstream"}
   */
  clientId?: string;
  /**
   * kafkajs' own logging.
   *
   * @default {"nothing"}
   */
  logLevel?: KafkaLogLevel;
  /**
   * Where kafkajs log lines go when `logLevel` lets them through. Without it, one line each to
   * stderr: `kafkajs <LEVEL> [<namespace>] <message> <fields as JSON>`.
   */
  logger?: (line: KafkaLogLine) => void;
  /**
   * TCP (and TLS) connect timeout per attempt, ms.
   *
   * @default {3000}
   */
  connectionTimeoutMs?: number;
  /**
   * Request timeout, ms.
   *
   * @default {30_000}
   */
  requestTimeoutMs?: number;
  /**
   * Retry policy of every request and (re)connection (kafkajs `retry`); each field left out
   * takes its default: `retries` 8, `initialRetryTime` 100 ms, `maxRetryTime` 2000 ms. That is
   * about 10 s in all: long enough to ride out a broker restart, short enough that an unreachable
   * broker is reported rather than waited on.
   */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  /**
   * TLS: `true` for default settings or node:tls options (CA, cert, key). Without it, plaintext.
   */
  ssl?: boolean | ConnectionOptions;
  /** SASL (PLAIN, SCRAM-SHA-256/512), passed to kafkajs as is. Without it, no authentication. */
  sasl?: SASLOptions;
}

/** Raised when the brokers cannot be reached; the message names the address. */
export class KafkaUnavailableError extends Error {
  /** The bootstrap brokers that were tried. */
  readonly brokers: readonly string[];
  /** Creates the error. */
  constructor(brokers: readonly string[], detail: string, options?: ErrorOptions) {
    super(
      `Cannot reach Kafka at ${brokers.join(",")}: ${detail}. ` +
        `Is the broker running (deno task kafka) and is --brokers / KAFKA_BROKERS right?`,
      options,
    );
    this.name = "KafkaUnavailableError";
    this.brokers = brokers;
  }
}

/**
 * Raised when the brokers answer but the connection is refused on security grounds: the SASL
 * credentials were rejected (`kind: "authentication"`) or the TLS handshake failed, e.g. the
 * broker's certificate is not signed by a trusted CA (`kind: "tls"`). Never retried into a
 * plaintext connection: the command stops with this message.
 */
export class KafkaSecurityError extends Error {
  /** The bootstrap brokers that were tried. */
  readonly brokers: readonly string[];
  /** What failed. */
  readonly kind: "authentication" | "tls";
  /** Creates the error. */
  constructor(
    brokers: readonly string[],
    kind: "authentication" | "tls",
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      kind === "authentication"
        ? `Kafka at ${brokers.join(",")} refused the SASL credentials: ${detail}. ` +
          `Check --sasl-mechanism, --sasl-username and the password (--sasl-password / KAFKA_SASL_PASSWORD).`
        : `The TLS connection to Kafka at ${brokers.join(",")} failed: ${detail}. ` +
          `Is --tls-ca (KAFKA_TLS_CA) the CA that signed the broker's certificate, and does that certificate name this address? ` +
          `Does the broker require a client certificate (--tls-cert/--tls-key)? Is this a TLS listener?`,
      options,
    );
    this.name = "KafkaSecurityError";
    this.brokers = brokers;
    this.kind = kind;
  }
}

/** Walks an error and its causes (kafkajs' `originalError`, `cause`). */
function* causes(error: unknown): Generator<{ name?: string; message?: string; code?: string }> {
  let e = error as
    | { name?: string; message?: string; code?: string; cause?: unknown; originalError?: unknown }
    | undefined;
  for (let i = 0; e && i < 8; i++) {
    yield e;
    e = (e.cause ?? e.originalError) as typeof e;
  }
}

/** Whether an error (or its causes) is a rejected SASL authentication. */
export function isAuthenticationError(error: unknown): boolean {
  for (const e of causes(error)) {
    if (
      e.name === "KafkaJSSASLAuthenticationError" ||
      /SASL_AUTHENTICATION_FAILED|Authentication failed/i.test(`${e.code ?? ""} ${e.message ?? ""}`)
    ) return true;
  }
  return false;
}

/** Whether an error (or its causes) is a failed TLS handshake or certificate check. */
export function isTlsError(error: unknown): boolean {
  for (const e of causes(error)) {
    const text = `${e.code ?? ""} ${e.message ?? ""}`;
    if (
      /certificate|self[- ]signed|UnknownIssuer|unable to (get|verify)|CERT_|handshake|InvalidCertificate|TLS|SSL/i
        .test(text)
    ) return true;
  }
  return false;
}

const LEVELS: Record<KafkaLogLevel, KafkaJsLogLevel> = {
  nothing: KafkaJsLogLevel.NOTHING,
  error: KafkaJsLogLevel.ERROR,
  warn: KafkaJsLogLevel.WARN,
  info: KafkaJsLogLevel.INFO,
  debug: KafkaJsLogLevel.DEBUG,
};

const NAMES: Record<number, Exclude<KafkaLogLevel, "nothing">> = {
  [KafkaJsLogLevel.ERROR]: "error",
  [KafkaJsLogLevel.WARN]: "warn",
  [KafkaJsLogLevel.INFO]: "info",
  [KafkaJsLogLevel.DEBUG]: "debug",
};

function defaultLogger(line: KafkaLogLine): void {
  const fields = Object.keys(line.fields).length ? ` ${JSON.stringify(line.fields)}` : "";
  console.error(`kafkajs ${line.level.toUpperCase()} [${line.namespace}] ${line.message}${fields}`);
}

/** Parses a broker list (`"a:9092,b:9092"` or an array) and checks each is `host:port`. */
export function parseBrokers(brokers: readonly string[] | string): string[] {
  const list = (typeof brokers === "string" ? brokers.split(",") : [...brokers])
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (list.length === 0) {
    throw new TypeError("Cannot connect to Kafka: the broker list is empty.");
  }
  for (const broker of list) {
    const match = /^(.+):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new TypeError(
        `Cannot connect to Kafka: broker "${broker}" is not host:port (e.g. 127.0.0.1:9092).`,
      );
    }
  }
  return list;
}

/**
 * Kafka connection settings plus the kafkajs client built from them. Cheap to create; it opens
 * no connection itself (producers, consumers and admins do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KafkaClient } from "./client.ts";
 *
 * const client = new KafkaClient({ brokers: "127.0.0.1:9092, 127.0.0.1:9093", clientId: "docs" });
 * assert.deepEqual(client.brokers, ["127.0.0.1:9092", "127.0.0.1:9093"]);
 * assert.equal(client.clientId, "docs");
 * assert.throws(() => new KafkaClient({ brokers: "localhost" }), TypeError); // not host:port
 * ```
 */
export class KafkaClient {
  #brokers: string[];
  #clientId: string;
  #kafka: Kafka;
  #ssl: boolean | ConnectionOptions | undefined;

  /** Builds the client; throws `TypeError` for a malformed broker list. */
  constructor(options: KafkaClientOptions) {
    this.#brokers = parseBrokers(options.brokers);
    this.#clientId = options.clientId ?? "clickstream";
    this.#ssl = options.ssl;
    const level = options.logLevel ?? "nothing";
    if (!(level in LEVELS)) {
      throw new TypeError(
        `Cannot create the Kafka client: log level "${level}" is not one of ${
          KAFKA_LOG_LEVELS.join(", ")
        }.`,
      );
    }
    const sink = options.logger ?? defaultLogger;
    const retry: RetryOptions = {
      retries: options.retry?.retries ?? 8,
      initialRetryTime: options.retry?.initialRetryTime ?? 100,
      maxRetryTime: options.retry?.maxRetryTime ?? 2000,
    };
    this.#kafka = new Kafka({
      brokers: this.#brokers,
      clientId: this.#clientId,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry,
      ssl: options.ssl,
      sasl: options.sasl,
      logLevel: LEVELS[level],
      logCreator: () => (entry: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = entry.log;
        sink({
          level: NAMES[entry.level] ?? "info",
          namespace: entry.namespace,
          message,
          fields,
        });
      },
    });
  }

  /** The bootstrap brokers. */
  get brokers(): readonly string[] {
    return this.#brokers;
  }

  /** The client id. */
  get clientId(): string {
    return this.#clientId;
  }

  /**
   * When TLS is on, opens one TLS connection of its own to the first broker and returns why the
   * broker refused it (see {@linkcode probeTls}); `undefined` when TLS is off or not the
   * problem. Used to explain a connection that kafkajs only reports as closed.
   *
   * @param timeoutMs How long the probe waits for an answer, ms; `5000` when not given.
   */
  diagnoseTls(timeoutMs = 5000): Promise<string | undefined> {
    if (!this.#ssl) return Promise.resolve(undefined);
    return probeTls(this.#brokers[0], this.#ssl === true ? {} : this.#ssl, timeoutMs);
  }

  /**
   * The underlying kafkajs client. For the modules of `src/kafka/` only: everything else goes
   * through `EventProducer`, `EventConsumer` and `KafkaAdmin`.
   */
  get kafkajs(): Kafka {
    return this.#kafka;
  }
}

/** Whether an error (or its causes) is a failure to reach the brokers. */
export function isConnectionError(error: unknown): boolean {
  for (
    let e = error as { name?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0;
    e && i < 8;
    i++
  ) {
    if (
      e.name === "KafkaJSConnectionError" || e.name === "KafkaJSBrokerNotFound" ||
      e.name === "KafkaJSConnectionClosedError" || e.name === "KafkaJSNoBrokerAvailableError" ||
      e.name === "KafkaJSRequestTimeoutError"
    ) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

/** Re-exported from `src/util/deadline.ts` (the one deadline), where it lives. */
export { settleWithin };

/**
 * Runs `connect` with a deadline; a connection failure or the deadline becomes a
 * {@linkcode KafkaUnavailableError} naming the brokers, a rejected password or TLS handshake a
 * {@linkcode KafkaSecurityError}. `onTimeout` is called to tear down the half-open connection.
 * `diagnoseTls` (the client's {@linkcode KafkaClient.diagnoseTls}) is asked about a connection
 * error that names no cause, so that a broker which drops a TLS connection for want of a client
 * certificate is reported as that, not as unreachable.
 */
export async function connectWithin(
  brokers: readonly string[],
  timeoutMs: number,
  connect: () => Promise<void>,
  onTimeout: () => Promise<void>,
  diagnoseTls?: () => Promise<string | undefined>,
): Promise<void> {
  try {
    await withDeadline(connect(), timeoutMs);
  } catch (error) {
    await settleWithin(onTimeout(), 10_000);
    if (error instanceof DeadlineError) {
      throw new KafkaUnavailableError(brokers, `no answer within ${timeoutMs} ms`);
    }
    const detail = (error as Error)?.message ?? String(error);
    if (isAuthenticationError(error)) {
      throw new KafkaSecurityError(brokers, "authentication", detail, { cause: error });
    }
    if (isTlsError(error)) throw new KafkaSecurityError(brokers, "tls", detail, { cause: error });
    const tls = diagnoseTls && isConnectionError(error) ? await diagnoseTls() : undefined;
    if (tls) {
      throw new KafkaSecurityError(brokers, "tls", `${tls} (kafkajs: ${detail})`, { cause: error });
    }
    throw new KafkaUnavailableError(brokers, detail, { cause: error });
  }
}
