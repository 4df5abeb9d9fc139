/**
 * The command line and the environment, resolved once into one {@linkcode Config} with every
 * field filled. Nothing else in the program reads `Deno.env` or `Deno.args`: `main.ts` calls
 * {@linkcode resolveConfig} and passes the result down. A bad flag raises
 * {@linkcode UsageError}, whose message names the flag and whose `usage` is the command's help.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseBytes, parseCount, parseDuration } from "./util/units.ts";
import { CRASH_POINTS, type CrashPoint } from "./stream/checkpoint.ts";
import { type Profile, PROFILES } from "./generator/generator.ts";

/** Log levels of the program (kafkajs' own logs are quiet unless `debug`). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Learning modes (see `src/learn`). */
export const MODES = ["seed", "adagrad", "ftrl"] as const;
/** One of {@linkcode MODES}. */
export type Mode = typeof MODES[number];
/** What the learner does on a detected drift (`--on-drift`), as `src/learn/drift.ts`'s ON_DRIFT. */
export const ON_DRIFT = ["none", "boost", "reset"] as const;
/** One of {@linkcode ON_DRIFT}. */
export type OnDrift = typeof ON_DRIFT[number];

/** Settings every Kafka command shares. */
export interface CommonConfig {
  /** Bootstrap brokers: `--brokers`, else `KAFKA_BROKERS`, else `127.0.0.1:9092`. */
  brokers: string[];
  /** `--log-level`, default `info`. */
  logLevel: LogLevel;
  /** Kafka client id, `clickstream-<command>`. */
  clientId: string;
  /** Partitions of a topic created on first use: `--partitions`, default 1 (as the original). */
  partitions: number;
  /**
   * TLS to the brokers, or `null` for plaintext: `--tls` (or `KAFKA_TLS=1`), implied by any of
   * `--tls-ca` / `--tls-cert` / `--tls-key` (else `KAFKA_TLS_CA` / `KAFKA_TLS_CERT` /
   * `KAFKA_TLS_KEY`). The files are read here, once: the fields hold their PEM text.
   */
  tls: KafkaTlsConfig | null;
  /**
   * SASL, or `null`: `--sasl-mechanism` (else `KAFKA_SASL_MECHANISM`), `--sasl-username` (else
   * `KAFKA_SASL_USERNAME`), password from `--sasl-password` or `KAFKA_SASL_PASSWORD`.
   */
  sasl: KafkaSaslConfig | null;
}

/** Resolved TLS settings: PEM text of the files given (`null` = the system's trust store / none). */
export interface KafkaTlsConfig {
  /** CA certificate(s) that must have signed the broker's certificate, PEM, or `null`. */
  ca: string | null;
  /** Client certificate (mutual TLS), PEM, or `null`. */
  cert: string | null;
  /** The client certificate's private key, PEM, or `null`. */
  key: string | null;
}

/** SASL mechanisms the Kafka commands support. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
/** One of {@linkcode SASL_MECHANISMS}. */
export type SaslMechanism = typeof SASL_MECHANISMS[number];

/** Resolved SASL settings. */
export interface KafkaSaslConfig {
  /** The mechanism. */
  mechanism: SaslMechanism;
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
}

/** `send`: a few clicks and purchases, as the original's `sent_events.py`. */
export interface SendConfig extends CommonConfig {
  command: "send";
  topic: string;
  count: number;
  loop: boolean;
  intervalMs: number;
}

/** `consume`: print events, DLQ records with their headers, or predictions. */
export interface ConsumeConfig extends CommonConfig {
  command: "consume";
  topic: string;
  typed: boolean;
  fromBeginning: boolean;
  /** Consumer group; `null` means a fresh throw-away group per run. */
  group: string | null;
  /** Stop after this many records; `null` runs until Ctrl-C. */
  max: number | null;
}

/** `topics create|list`. */
export interface TopicsConfig extends CommonConfig {
  command: "topics";
  action: "create" | "list";
  topics: string[];
}

/** Where the HTTP server listens. */
export interface ListenConfig {
  hostname: string;
  port: number;
}

/** `train [topic]`: the trainer and its HTTP server. */
export interface TrainConfig extends CommonConfig {
  command: "train";
  topic: string;
  group: string;
  triggerMs: number;
  maxBatchEvents: number;
  startingOffsets: "earliest" | "latest";
  mode: Mode;
  /** What the learner does on a detected drift: `--on-drift none|boost|reset` (none). */
  onDrift: OnDrift;
  http: ListenConfig;
  stateDir: string;
  checkpointIntervalMs: number;
  predictions: boolean;
  adminToken: string | null;
  reportEvery: number;
  /** How long a clean shutdown may take before the process gives up: `--shutdown-timeout`, 10s. */
  shutdownTimeoutMs: number;
  /**
   * How long to wait for the state lock while its owner still runs (exiting, say, after a
   * supervisor killed it) before refusing to start: `--lock-wait`, 5s.
   */
  lockWaitMs: number;
  /**
   * Test hook from `CLICKSTREAM_CRASH_AT` (a crash point) and `CLICKSTREAM_CRASH_AFTER` (on its
   * n-th occurrence, default 1): the trainer kills itself there. `null` in normal use.
   */
  crash: { point: CrashPoint; after: number } | null;
}

/** `loadtest`: the 16-sender generator. */
export interface LoadtestConfig extends CommonConfig {
  command: "loadtest";
  topic: string;
  workers: number;
  sendersPerWorker: number;
  /** Exactly one of bytes / events / durationMs bounds the run; the others are `null`. */
  bytes: number | null;
  events: number | null;
  durationMs: number | null;
  rate: number | null;
  /** The generator profile: `--profile original|funnel` (original). */
  profile: Profile;
  seed: number | null;
  driftAt: number | null;
  acks: "all" | "leader" | "none";
  compression: "none" | "gzip";
  /** The original's tunables: pooled sessions over all workers (`--max-sessions`, 5000). */
  maxActiveSessions: number;
  /** `--new-session-probability` (0.05). */
  newSessionProbability: number;
  /** `--base-purchase-probability` (0.02). */
  basePurchaseProbability: number;
  /** `--purchase-scaling`, added per event of the session (0.03). */
  purchaseScaling: number;
  /** `--max-purchase-probability` (0.5). */
  maxPurchaseProbability: number;
  /** Events per send, one produce request (`--batch`, 1000). */
  batchRecords: number;
  /** Sends in flight per sender (`--in-flight`, 4; 1 with acks all). */
  inFlight: number;
}

/** `demo`: broker, trainer, dashboard and a rate-limited load, all at once. */
export interface DemoConfig extends CommonConfig {
  command: "demo";
  /** `true` when `--brokers`/`KAFKA_BROKERS` was given: then no local broker is started. */
  externalBrokers: boolean;
  /** Port of the local broker the demo starts otherwise: `--kafka-port`, default 9092. */
  kafkaPort: number;
  topic: string;
  rate: number;
  http: ListenConfig;
  stateDir: string;
  mode: Mode;
}

/** `quality`: handled by `src/cli/quality.ts`, which parses its own flags. */
export interface QualityConfig {
  command: "quality";
  argv: string[];
}

/** `help` (or `--help`): print the text and exit 0. */
export interface HelpConfig {
  command: "help";
  text: string;
}

/** The resolved configuration of one run. */
export type Config =
  | SendConfig
  | ConsumeConfig
  | TopicsConfig
  | TrainConfig
  | LoadtestConfig
  | DemoConfig
  | QualityConfig
  | HelpConfig;

/** A bad command line; `usage` is the help of the command concerned. Exit code 2. */
export class UsageError extends Error {
  /** The help text to print after the message. */
  readonly usage: string;
  /** Creates the error. */
  constructor(message: string, usage: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.usage = usage;
  }
}

interface Flag {
  type: "string" | "boolean";
  short?: string;
  help: string;
  default?: string;
}

const COMMON: Record<string, Flag> = {
  brokers: {
    type: "string",
    help: "bootstrap brokers, comma-separated (else KAFKA_BROKERS, else 127.0.0.1:9092)",
  },
  "log-level": {
    type: "string",
    help: "error | warn | info | debug (debug shows kafkajs' logs)",
    default: "info",
  },
  partitions: { type: "string", help: "partitions of a topic created on first use", default: "1" },
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
    help: "plain | scram-sha-256 | scram-sha-512 (else KAFKA_SASL_MECHANISM)",
  },
  "sasl-username": { type: "string", help: "SASL user (else KAFKA_SASL_USERNAME)" },
  "sasl-password": {
    type: "string",
    help: "SASL password (else KAFKA_SASL_PASSWORD, which keeps it out of `ps`)",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
};

interface Command {
  args: string;
  summary: string;
  flags: Record<string, Flag>;
}

const COMMANDS: Record<string, Command> = {
  send: {
    args: "",
    summary: "send a few clicks and purchases (the original's sent_events.py)",
    flags: {
      topic: { type: "string", help: "topic to write to", default: "clickstream_v2" },
      count: { type: "string", help: "events per round", default: "10" },
      loop: { type: "boolean", help: "send a round every --interval until Ctrl-C" },
      interval: { type: "string", help: "pause between rounds with --loop", default: "2s" },
    },
  },
  consume: {
    args: "",
    summary: "print events (or DLQ records with their headers, or predictions)",
    flags: {
      topic: { type: "string", help: "topic to read", default: "clickstream_v2" },
      typed: { type: "boolean", help: "decode into typed events (bad records are reported)" },
      "from-beginning": { type: "boolean", help: "start at the earliest offset, not the latest" },
      group: { type: "string", help: "consumer group (default: a fresh group per run)" },
      max: { type: "string", help: "stop after this many records" },
    },
  },
  topics: {
    args: "create <topic...> | list",
    summary: "create or list topics",
    flags: {},
  },
  train: {
    args: "[topic]",
    summary: "consume the stream, learn, serve /weights, /metrics and the dashboard",
    flags: {
      group: { type: "string", help: "consumer group", default: "clickstream-trainer" },
      trigger: {
        type: "string",
        help: "micro-batch interval (10s is the original's)",
        default: "1s",
      },
      "max-batch-events": {
        type: "string",
        help: "close a batch at this many events",
        default: "100000",
      },
      "starting-offsets": {
        type: "string",
        help: "earliest | latest, when the group has no offsets",
        default: "earliest",
      },
      mode: { type: "string", help: "seed | adagrad | ftrl", default: "adagrad" },
      "on-drift": {
        type: "string",
        help: "none | boost (restart the learning rates) | reset (a fresh model), on a drift",
        default: "none",
      },
      http: { type: "string", help: "HTTP listen address", default: "127.0.0.1:8080" },
      "state-dir": { type: "string", help: "checkpoint directory", default: "./state" },
      "checkpoint-interval": {
        type: "string",
        help: "at most one checkpoint per interval",
        default: "5s",
      },
      predictions: { type: "boolean", help: "publish each score to <topic>.predictions" },
      "admin-token": {
        type: "string",
        help: "bearer token of the admin routes (else CLICKSTREAM_ADMIN_TOKEN)",
      },
      "report-every": {
        type: "string",
        help: "print the top purchasers every N batches",
        default: "10",
      },
      "shutdown-timeout": {
        type: "string",
        help: "on SIGINT/SIGTERM, give up a clean stop after this long",
        default: "10s",
      },
      "lock-wait": {
        type: "string",
        help: "wait this long for the state lock while its owner is still exiting",
        default: "5s",
      },
    },
  },
  loadtest: {
    args: "",
    summary: "the 16-sender load generator (the original's loadtest.py)",
    flags: {
      topic: { type: "string", help: "topic to write to", default: "clickstream_loadtest" },
      workers: { type: "string", help: "Web Workers", default: "4" },
      "senders-per-worker": { type: "string", help: "producers per worker", default: "4" },
      bytes: { type: "string", help: "stop after this many bytes (5GB, 512MiB) [default 5GB]" },
      events: { type: "string", help: "stop after this many events (200k, 1M)" },
      duration: { type: "string", help: "stop after this long (60s, 5m)" },
      rate: { type: "string", help: "cap in events/s (default: as fast as possible)" },
      profile: {
        type: "string",
        help: "original | funnel (a shop's page funnel with daily and weekly cycles)",
        default: "original",
      },
      seed: {
        type: "string",
        help: "seed of the generator (reproducible with 1 worker, 1 sender)",
      },
      "drift-at": {
        type: "string",
        help:
          "after this many events the signal drifts (original: purchases fall with session position; funnel: conversion moves from the cart to the product page)",
      },
      acks: { type: "string", help: "leader | all | none (all = idempotent)", default: "leader" },
      compression: { type: "string", help: "none | gzip", default: "none" },
      "max-sessions": {
        type: "string",
        help: "active sessions over all workers (the original's)",
        default: "5000",
      },
      "new-session-probability": {
        type: "string",
        help: "chance that an event starts a session",
        default: "0.05",
      },
      "base-purchase-probability": {
        type: "string",
        help: "purchase probability before any event",
        default: "0.02",
      },
      "purchase-scaling": {
        type: "string",
        help: "purchase probability added per event of the session",
        default: "0.03",
      },
      "max-purchase-probability": {
        type: "string",
        help: "cap of the purchase probability",
        default: "0.5",
      },
      batch: { type: "string", help: "events per send (one produce request)", default: "1000" },
      "in-flight": {
        type: "string",
        help: "sends in flight per sender (1 with acks all)",
        default: "4",
      },
    },
  },
  demo: {
    args: "",
    summary: "local Kafka + trainer + dashboard + a rate-limited load; Ctrl-C stops it all",
    flags: {
      topic: { type: "string", help: "topic", default: "clickstream_demo" },
      "kafka-port": {
        type: "string",
        help: "port of the local broker the demo starts (without --brokers/KAFKA_BROKERS)",
        default: "9092",
      },
      rate: { type: "string", help: "events/s of the load", default: "2000" },
      http: { type: "string", help: "HTTP listen address", default: "127.0.0.1:8080" },
      "state-dir": { type: "string", help: "checkpoint directory", default: "./state/demo" },
      mode: { type: "string", help: "seed | adagrad | ftrl", default: "adagrad" },
    },
  },
};

/** The help text of one command, or of the program when `command` is omitted. */
export function usage(command?: string): string {
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec === undefined || command === undefined) {
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
    lines.push(`  ${"quality".padEnd(9)} run each learning mode over the generator's stream`);
    return [
      "Usage: clickstream <command> [flags]",
      "",
      "Commands:",
      ...lines,
      "",
      "Run `clickstream <command> --help` for the flags of a command.",
    ].join("\n");
  }
  const flags = { ...spec.flags, ...(command === "quality" ? {} : COMMON) };
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : ""}--${name}${
      f.type === "string" ? " <value>" : ""
    }`;
    return `${left.padEnd(34)} ${f.help}${
      f.default !== undefined ? ` (default ${f.default})` : ""
    }`;
  });
  return [
    `Usage: clickstream ${command}${spec.args ? ` ${spec.args}` : ""} [flags]`,
    "",
    spec.summary,
    "",
    "Flags:",
    ...rows,
  ].join("\n");
}

type Values = Record<string, string | boolean | undefined>;

function positiveInt(command: string, name: string, text: string, allowZero = false): number {
  let n: number;
  try {
    n = parseCount(text);
  } catch (cause) {
    throw new UsageError(`--${name}: ${(cause as Error).message}`, usage(command), { cause });
  }
  if (n < (allowZero ? 0 : 1)) {
    throw new UsageError(
      `--${name} must be ${allowZero ? "≥ 0" : "≥ 1"}, got ${text}`,
      usage(command),
    );
  }
  return n;
}

function duration(command: string, name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (cause) {
    throw new UsageError(`--${name}: ${(cause as Error).message}`, usage(command), { cause });
  }
}

function oneOf<T extends string>(
  command: string,
  name: string,
  text: string,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(
      `--${name} must be one of ${allowed.join(", ")}, got "${text}"`,
      usage(command),
    );
  }
  return text as T;
}

/** Parses `host:port` (or `:port`, or a bare port) into a listen address; default host 127.0.0.1. */
export function parseListen(text: string): ListenConfig {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new RangeError(
      `Cannot parse listen address "${text}": use host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { hostname: m[1] || "127.0.0.1", port };
}

function listen(command: string, name: string, text: string): ListenConfig {
  try {
    return parseListen(text);
  } catch (cause) {
    throw new UsageError(`--${name}: ${(cause as Error).message}`, usage(command), { cause });
  }
}

function str(values: Values, name: string, spec: Record<string, Flag>): string {
  const v = values[name];
  return typeof v === "string" ? v : spec[name]?.default ?? COMMON[name]?.default ?? "";
}

function common(
  command: string,
  values: Values,
  env: Record<string, string | undefined>,
): CommonConfig {
  const spec = COMMANDS[command].flags;
  const brokerText = (values.brokers as string | undefined) ?? env.KAFKA_BROKERS ??
    "127.0.0.1:9092";
  const brokers = brokerText.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new UsageError(
      `--brokers must be host:port[,host:port...], got "${brokerText}"`,
      usage(command),
    );
  }
  return {
    brokers,
    logLevel: oneOf(command, "log-level", str(values, "log-level", spec), LOG_LEVELS),
    clientId: `clickstream-${command}`,
    partitions: positiveInt(command, "partitions", str(values, "partitions", spec)),
    tls: tlsConfig(command, values, env),
    sasl: saslConfig(command, values, env),
  };
}

function pemFile(command: string, flag: string, envName: string, path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    throw new UsageError(
      `--${flag} (or ${envName}): cannot read "${path}": ${(cause as Error).message}`,
      usage(command),
      { cause },
    );
  }
  if (!text.includes("-----BEGIN ")) {
    throw new UsageError(
      `--${flag} (or ${envName}): "${path}" holds no PEM block (-----BEGIN ...)`,
      usage(command),
    );
  }
  return text;
}

function tlsConfig(
  command: string,
  values: Values,
  env: Record<string, string | undefined>,
): KafkaTlsConfig | null {
  const file = (flag: string, envName: string) => {
    const path = (values[flag] as string | undefined) ?? (env[envName] || undefined);
    return path === undefined ? null : pemFile(command, flag, envName, path);
  };
  const ca = file("tls-ca", "KAFKA_TLS_CA");
  const cert = file("tls-cert", "KAFKA_TLS_CERT");
  const key = file("tls-key", "KAFKA_TLS_KEY");
  const on = values.tls === true || /^(1|true|yes)$/i.test(env.KAFKA_TLS ?? "") ||
    ca !== null || cert !== null || key !== null;
  if (!on) return null;
  if ((cert === null) !== (key === null)) {
    throw new UsageError(
      `--tls-cert and --tls-key go together (mutual TLS needs both), got only --${
        cert === null ? "tls-key" : "tls-cert"
      }`,
      usage(command),
    );
  }
  return { ca, cert, key };
}

function saslConfig(
  command: string,
  values: Values,
  env: Record<string, string | undefined>,
): KafkaSaslConfig | null {
  const pick = (flag: string, envName: string) =>
    (values[flag] as string | undefined) ?? (env[envName] || undefined);
  const mechanism = pick("sasl-mechanism", "KAFKA_SASL_MECHANISM");
  const username = pick("sasl-username", "KAFKA_SASL_USERNAME");
  const password = pick("sasl-password", "KAFKA_SASL_PASSWORD");
  if (mechanism === undefined) {
    if (username !== undefined || values["sasl-password"] !== undefined) {
      throw new UsageError(
        "--sasl-username / --sasl-password need --sasl-mechanism (plain, scram-sha-256 or scram-sha-512)",
        usage(command),
      );
    }
    return null;
  }
  const m = oneOf(command, "sasl-mechanism", mechanism.toLowerCase(), SASL_MECHANISMS);
  if (username === undefined || password === undefined) {
    throw new UsageError(
      `--sasl-mechanism ${m} needs ${
        username === undefined ? "--sasl-username (or KAFKA_SASL_USERNAME)" : ""
      }${username === undefined && password === undefined ? " and " : ""}${
        password === undefined ? "a password (--sasl-password or KAFKA_SASL_PASSWORD)" : ""
      }`,
      usage(command),
    );
  }
  return { mechanism: m, username, password };
}

function crashHook(
  command: string,
  env: Record<string, string | undefined>,
): { point: CrashPoint; after: number } | null {
  const point = env.CLICKSTREAM_CRASH_AT;
  if (point === undefined || point === "") return null;
  if (!(CRASH_POINTS as readonly string[]).includes(point)) {
    throw new UsageError(
      `CLICKSTREAM_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}, got "${point}"`,
      usage(command),
    );
  }
  const after = Number(env.CLICKSTREAM_CRASH_AFTER ?? "1");
  if (!Number.isInteger(after) || after < 1) {
    throw new UsageError(
      `CLICKSTREAM_CRASH_AFTER must be an integer ≥ 1, got "${env.CLICKSTREAM_CRASH_AFTER}"`,
      usage(command),
    );
  }
  return { point: point as CrashPoint, after };
}

/**
 * Resolves the command line and the environment into one {@linkcode Config}.
 * @param argv the arguments after the program name, e.g. `["train", "--trigger", "100ms"]`
 * @param env the environment (`KAFKA_BROKERS`, `KAFKA_TLS*`, `KAFKA_SASL_*`, `CLICKSTREAM_ADMIN_TOKEN`)
 * @throws {UsageError} on an unknown command, an unknown flag or a bad value
 */
export function resolveConfig(argv: string[], env: Record<string, string | undefined>): Config {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return { command: "help", text: usage(rest[0]) };
  }
  if (command === "quality") return { command: "quality", argv: rest };
  const spec = COMMANDS[command];
  if (spec === undefined) {
    throw new UsageError(`Unknown command "${command}"`, usage());
  }
  const options = Object.fromEntries(
    Object.entries({ ...spec.flags, ...COMMON }).map(([name, f]) => [
      name,
      f.short ? { type: f.type, short: f.short } : { type: f.type },
    ]),
  ) as Record<string, { type: "string" | "boolean"; short?: string }>;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options,
      allowPositionals: true,
      strict: true,
    }));
  } catch (cause) {
    throw new UsageError((cause as Error).message, usage(command), { cause });
  }
  if (values.help) return { command: "help", text: usage(command) };
  const s = (name: string) => str(values, name, spec.flags);
  const opt = (name: string) => values[name] as string | undefined;
  const noPositionals = () => {
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${positionals[0]}"`, usage(command));
    }
  };
  const base = common(command, values, env);

  switch (command) {
    case "send":
      noPositionals();
      return {
        command,
        ...base,
        topic: s("topic"),
        count: positiveInt(command, "count", s("count")),
        loop: values.loop === true,
        intervalMs: duration(command, "interval", s("interval")),
      };
    case "consume": {
      noPositionals();
      const max = opt("max");
      return {
        command,
        ...base,
        topic: s("topic"),
        typed: values.typed === true,
        fromBeginning: values["from-beginning"] === true,
        group: opt("group") ?? null,
        max: max === undefined ? null : positiveInt(command, "max", max),
      };
    }
    case "topics": {
      const [action, ...topics] = positionals;
      if (action === "list" && topics.length === 0) return { command, ...base, action, topics };
      if (action === "create" && topics.length > 0) return { command, ...base, action, topics };
      throw new UsageError(
        action === "create"
          ? "topics create needs at least one topic name"
          : `topics needs "create <topic...>" or "list"`,
        usage(command),
      );
    }
    case "train": {
      if (positionals.length > 1) {
        throw new UsageError(`train takes one topic, got ${positionals.length}`, usage(command));
      }
      return {
        command,
        ...base,
        topic: positionals[0] ?? "clickstream_v2",
        group: s("group"),
        triggerMs: duration(command, "trigger", s("trigger")),
        maxBatchEvents: positiveInt(command, "max-batch-events", s("max-batch-events")),
        startingOffsets: oneOf(
          command,
          "starting-offsets",
          s("starting-offsets"),
          ["earliest", "latest"] as const,
        ),
        mode: oneOf(command, "mode", s("mode"), MODES),
        onDrift: oneOf(command, "on-drift", s("on-drift"), ON_DRIFT),
        http: listen(command, "http", s("http")),
        stateDir: s("state-dir"),
        checkpointIntervalMs: duration(command, "checkpoint-interval", s("checkpoint-interval")),
        predictions: values.predictions === true,
        adminToken: opt("admin-token") ?? env.CLICKSTREAM_ADMIN_TOKEN ?? null,
        reportEvery: positiveInt(command, "report-every", s("report-every")),
        shutdownTimeoutMs: duration(command, "shutdown-timeout", s("shutdown-timeout")),
        lockWaitMs: duration(command, "lock-wait", s("lock-wait")),
        crash: crashHook(command, env),
      };
    }
    case "loadtest": {
      noPositionals();
      const bounds = ["bytes", "events", "duration"].filter((b) => opt(b) !== undefined);
      if (bounds.length > 1) {
        throw new UsageError(
          `give one of --bytes, --events, --duration, not ${bounds.join(" and ")}`,
          usage(command),
        );
      }
      let bytes: number | null = null;
      if (bounds.length === 0 || opt("bytes") !== undefined) {
        try {
          bytes = parseBytes(opt("bytes") ?? "5GB");
        } catch (cause) {
          throw new UsageError(`--bytes: ${(cause as Error).message}`, usage(command), { cause });
        }
      }
      const acks = oneOf(command, "acks", s("acks"), ["leader", "all", "none"] as const);
      const fraction = (name: string): number => {
        const text = s(name);
        const value = /^\s*\d*\.?\d+\s*$/.test(text) ? Number(text) : NaN;
        if (!(value >= 0 && value <= 1)) {
          throw new UsageError(`--${name} must be a number in 0..1, got "${text}"`, usage(command));
        }
        return value;
      };
      return {
        command,
        ...base,
        topic: s("topic"),
        workers: positiveInt(command, "workers", s("workers")),
        sendersPerWorker: positiveInt(command, "senders-per-worker", s("senders-per-worker")),
        bytes,
        events: opt("events") === undefined ? null : positiveInt(command, "events", opt("events")!),
        durationMs: opt("duration") === undefined
          ? null
          : duration(command, "duration", opt("duration")!),
        rate: opt("rate") === undefined ? null : positiveInt(command, "rate", opt("rate")!),
        profile: oneOf(command, "profile", s("profile"), PROFILES),
        seed: opt("seed") === undefined ? null : positiveInt(command, "seed", opt("seed")!, true),
        driftAt: opt("drift-at") === undefined
          ? null
          : positiveInt(command, "drift-at", opt("drift-at")!, true),
        acks,
        compression: oneOf(command, "compression", s("compression"), ["none", "gzip"] as const),
        maxActiveSessions: positiveInt(command, "max-sessions", s("max-sessions")),
        newSessionProbability: fraction("new-session-probability"),
        basePurchaseProbability: fraction("base-purchase-probability"),
        purchaseScaling: fraction("purchase-scaling"),
        maxPurchaseProbability: fraction("max-purchase-probability"),
        batchRecords: positiveInt(command, "batch", s("batch")),
        inFlight: positiveInt(command, "in-flight", s("in-flight")),
      };
    }
    case "demo":
      noPositionals();
      return {
        command,
        ...base,
        externalBrokers: opt("brokers") !== undefined || env.KAFKA_BROKERS !== undefined,
        kafkaPort: positiveInt(command, "kafka-port", s("kafka-port")),
        topic: s("topic"),
        rate: positiveInt(command, "rate", s("rate")),
        http: listen(command, "http", s("http")),
        stateDir: s("state-dir"),
        mode: oneOf(command, "mode", s("mode"), MODES),
      };
  }
  throw new UsageError(`Unknown command "${command}"`, usage());
}
