/**
 * The Kafka connection settings every Kafka command shares, as flags and as resolved values:
 * the bootstrap brokers, TLS (with the PEM files read here, once) and SASL. Flags win over the
 * environment (`KAFKA_BROKERS`, `KAFKA_TLS*`, `KAFKA_SASL_*`). Plain configuration: this file
 * does not import kafkajs; `cli/kafka_client.ts` turns the result into the client's options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HELP_FLAG, parseFlags } from "../config/flags.ts";
 * import { BROKER_FLAGS, KAFKA_SECURITY_FLAGS, resolveKafkaConnection } from "./client_config.ts";
 *
 * const spec = {
 *   name: "list",
 *   summary: "list topics",
 *   flags: { ...BROKER_FLAGS, ...KAFKA_SECURITY_FLAGS, help: HELP_FLAG },
 * };
 * const flags = parseFlags(spec, ["--sasl-mechanism", "plain", "--sasl-username", "alice"]);
 * const kafka = resolveKafkaConnection(flags, { KAFKA_SASL_PASSWORD: "secret" });
 * assert.deepEqual(kafka.brokers, ["127.0.0.1:9092"]);
 * assert.deepEqual(kafka.sasl, { mechanism: "plain", username: "alice", password: "secret" });
 * ```
 *
 * @module
 */

import type { Env, FlagSpecs, ParsedFlags } from "../config/flags.ts";
import { oneOf } from "../config/values.ts";

/** SASL mechanisms the Kafka commands support. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
/** One of {@linkcode SASL_MECHANISMS}. */
export type SaslMechanism = typeof SASL_MECHANISMS[number];

/** The brokers when neither `--brokers` nor `KAFKA_BROKERS` is given. */
export const DEFAULT_BROKERS = "127.0.0.1:9092";

/** Resolved TLS settings: PEM text of the files given (`null` = the system's trust store / none). */
export interface KafkaTlsConfig {
  /** CA certificate(s) that must have signed the broker's certificate, PEM, or `null`. */
  ca: string | null;
  /** Client certificate (mutual TLS), PEM, or `null`. */
  cert: string | null;
  /** The client certificate's private key, PEM, or `null`. */
  key: string | null;
}

/** Resolved SASL settings. */
export interface KafkaSaslConfig {
  /** The mechanism. */
  mechanism: SaslMechanism;
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
}

/** Where and how to connect to Kafka. */
export interface KafkaConnectionConfig {
  /**
   * Bootstrap brokers: `--brokers`, else `KAFKA_BROKERS`.
   * @default {["127.0.0.1:9092"]}
   */
  brokers: string[];
  /**
   * TLS to the brokers, or `null` for plaintext: `--tls` (or `KAFKA_TLS=1`), implied by any of
   * `--tls-ca` / `--tls-cert` / `--tls-key` (else `KAFKA_TLS_CA` / `KAFKA_TLS_CERT` /
   * `KAFKA_TLS_KEY`). The files are read once, at resolution: the fields hold their PEM text.
   * @default {null}
   */
  tls: KafkaTlsConfig | null;
  /**
   * SASL, or `null`: `--sasl-mechanism` (else `KAFKA_SASL_MECHANISM`), `--sasl-username` (else
   * `KAFKA_SASL_USERNAME`), password from `--sasl-password` or `KAFKA_SASL_PASSWORD`.
   * @default {null}
   */
  sasl: KafkaSaslConfig | null;
}

/** `--brokers`. */
export const BROKER_FLAGS: FlagSpecs = {
  brokers: {
    type: "string",
    help: `bootstrap brokers, comma-separated (else KAFKA_BROKERS, else ${DEFAULT_BROKERS})`,
  },
};

/** `--tls`, `--tls-ca`, `--tls-cert`, `--tls-key` and `--sasl-*`. */
export const KAFKA_SECURITY_FLAGS: FlagSpecs = {
  tls: { type: "boolean", help: "connect to Kafka over TLS (else KAFKA_TLS=1)" },
  "tls-ca": {
    type: "string",
    help:
      "PEM file of the CA that signed the brokers' certificates (implies --tls; else KAFKA_TLS_CA)",
  },
  "tls-cert": {
    type: "string",
    help: "PEM file of the client certificate for mutual TLS (else KAFKA_TLS_CERT)",
  },
  "tls-key": { type: "string", help: "PEM file of its private key (else KAFKA_TLS_KEY)" },
  "sasl-mechanism": {
    type: "string",
    help: "{choices} (else KAFKA_SASL_MECHANISM)",
    choices: SASL_MECHANISMS,
  },
  "sasl-username": { type: "string", help: "SASL user (else KAFKA_SASL_USERNAME)" },
  "sasl-password": {
    type: "string",
    help: "SASL password (else KAFKA_SASL_PASSWORD, which keeps it out of `ps`)",
  },
};

/**
 * Resolves the brokers, TLS and SASL from the flags of {@linkcode BROKER_FLAGS} and
 * {@linkcode KAFKA_SECURITY_FLAGS} (which the command must declare) and the environment.
 * @throws {UsageError} naming the flag: bad brokers, an unreadable or non-PEM file, a client
 * certificate without its key, SASL settings without a mechanism or missing a user or password
 */
export function resolveKafkaConnection(flags: ParsedFlags, env: Env): KafkaConnectionConfig {
  const brokerText = flags.given("brokers") ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  const brokers = brokerText.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw flags.error(`--brokers must be host:port[,host:port...], got "${brokerText}"`);
  }
  return { brokers, tls: resolveTls(flags, env), sasl: resolveSasl(flags, env) };
}

/**
 * Reads a PEM file named by a flag (or its environment variable).
 * @throws {RangeError} naming both when the file cannot be read or holds no PEM block
 */
export function readPemFile(flag: string, envName: string, path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    throw new RangeError(
      `--${flag} (or ${envName}): cannot read "${path}": ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!text.includes("-----BEGIN ")) {
    throw new RangeError(
      `--${flag} (or ${envName}): "${path}" holds no PEM block (-----BEGIN ...)`,
    );
  }
  return text;
}

function resolveTls(flags: ParsedFlags, env: Env): KafkaTlsConfig | null {
  const file = (flag: string, envName: string) => {
    const path = flags.given(flag) ?? (env[envName] || undefined);
    return path === undefined
      ? null
      : flags.parse(flag, path, (text) => readPemFile(flag, envName, text));
  };
  const ca = file("tls-ca", "KAFKA_TLS_CA");
  const cert = file("tls-cert", "KAFKA_TLS_CERT");
  const key = file("tls-key", "KAFKA_TLS_KEY");
  const on = flags.on("tls") || /^(1|true|yes)$/i.test(env.KAFKA_TLS ?? "") ||
    ca !== null || cert !== null || key !== null;
  if (!on) return null;
  if ((cert === null) !== (key === null)) {
    throw flags.error(
      `--tls-cert and --tls-key go together (mutual TLS needs both), got only --${
        cert === null ? "tls-key" : "tls-cert"
      }`,
    );
  }
  return { ca, cert, key };
}

function resolveSasl(flags: ParsedFlags, env: Env): KafkaSaslConfig | null {
  const pick = (flag: string, envName: string) => flags.given(flag) ?? (env[envName] || undefined);
  const mechanism = pick("sasl-mechanism", "KAFKA_SASL_MECHANISM");
  const username = pick("sasl-username", "KAFKA_SASL_USERNAME");
  const password = pick("sasl-password", "KAFKA_SASL_PASSWORD");
  if (mechanism === undefined) {
    if (username !== undefined || flags.given("sasl-password") !== undefined) {
      throw flags.error(
        `--sasl-username / --sasl-password need --sasl-mechanism (${
          SASL_MECHANISMS.slice(0, -1).join(", ")
        } or ${SASL_MECHANISMS.at(-1)})`,
      );
    }
    return null;
  }
  const m = flags.parse("sasl-mechanism", mechanism.toLowerCase(), oneOf(SASL_MECHANISMS));
  if (username === undefined || password === undefined) {
    throw flags.error(
      `--sasl-mechanism ${m} needs ${
        username === undefined ? "--sasl-username (or KAFKA_SASL_USERNAME)" : ""
      }${username === undefined && password === undefined ? " and " : ""}${
        password === undefined ? "a password (--sasl-password or KAFKA_SASL_PASSWORD)" : ""
      }`,
    );
  }
  return { mechanism: m, username, password };
}
