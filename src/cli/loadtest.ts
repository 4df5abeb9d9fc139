/**
 * `loadtest`: the successor of the original's `loadtest.py` — `--workers` Web Workers ×
 * `--senders-per-worker` kafkajs producers writing the original's realistic sessions to
 * `--topic` until `--bytes` / `--events` / `--duration`, optionally capped at `--rate` events/s.
 * Creates the topic on first use, prints progress every 2 s (a bar on a terminal, a plain line
 * otherwise) and a summary at the end, also after Ctrl-C. Exit code 0 when the run ended as asked
 * (or was interrupted), 1 when it failed (the broker went away, errors).
 *
 * @module
 */

import type { LoadtestConfig } from "./loadtest_config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import { runLoadWorkers } from "../loadgen/orchestrator.ts";
import { formatProgress, formatSummary, type LoadTarget } from "../loadgen/progress.ts";
import { clientFor, kafkaSecurity, shutdownSignal } from "./kafka_client.ts";
import type { Clock } from "../util/clock.ts";

/** What `loadtest` touches; injected by tests. */
export interface LoadtestIO {
  /** Writes text to stdout as is (no newline added). Default: `Deno.stdout`. */
  write?: (text: string) => void;
  /** Whether stdout is a terminal (progress bar). Default: `Deno.stdout.isTerminal()`. */
  isTerminal?: boolean;
  /** Stops the run like Ctrl-C. Default: SIGINT / SIGTERM. */
  signal?: AbortSignal;
  /** The clock. Default: the monotonic clock (`performance.now`). */
  clock?: Pick<Clock, "now">;
  /** Progress interval, ms. Default `2000`. */
  progressIntervalMs?: number;
  /** Fail after this long without an acknowledgement, ms. Default `30_000`. */
  stallTimeoutMs?: number;
}

/** The bound of a resolved configuration as a progress target. */
export function targetOf(config: LoadtestConfig): LoadTarget {
  if (config.events !== null) return { kind: "events", events: config.events };
  if (config.durationMs !== null) return { kind: "duration", ms: config.durationMs };
  return { kind: "bytes", bytes: config.bytes ?? 5e9 };
}

/** Runs `loadtest`; resolves to the exit code. */
export async function runLoadtest(config: LoadtestConfig, io: LoadtestIO = {}): Promise<number> {
  const encoder = new TextEncoder();
  const write = io.write ?? ((text: string) => {
    Deno.stdout.writeSync(encoder.encode(text));
  });
  const terminal = io.isTerminal ?? Deno.stdout.isTerminal();
  const client = clientFor(config);
  let partitions: number | undefined;
  {
    await using admin = await KafkaAdmin.connect(client);
    if (await admin.ensureTopic(config.topic, { partitions: config.partitions })) {
      write(`created topic ${config.topic} (${config.partitions} partition(s))\n`);
    }
    partitions = await admin.partitionCount(config.topic);
  }
  const target = targetOf(config);
  const shutdown = io.signal === undefined ? shutdownSignal() : undefined;
  const signal = io.signal ?? shutdown!.signal;
  const setup =
    `${config.workers} worker(s) × ${config.sendersPerWorker} sender(s), acks ${config.acks}${
      config.acks === "all" ? " (idempotent)" : ""
    }, compression ${config.compression}${
      config.rate !== null ? `, rate cap ${config.rate}/s` : ""
    }, profile ${config.profile}`;
  write(
    `loadtest → ${config.topic} at ${config.brokers.join(",")}: ${setup}${
      config.seed !== null ? `, seed ${config.seed}` : ""
    }${config.driftAt !== null ? `, drift at event ${config.driftAt}` : ""}\n`,
  );
  let drawn = false;
  try {
    const result = await runLoadWorkers({
      brokers: config.brokers,
      topic: config.topic,
      partitions: partitions ?? null,
      target,
      clientId: config.clientId,
      security: kafkaSecurity(config),
      kafkaLogs: config.logLevel === "debug",
      workers: config.workers,
      sendersPerWorker: config.sendersPerWorker,
      inFlight: config.inFlight,
      batchRecords: config.batchRecords,
      acks: config.acks,
      compression: config.compression,
      rate: config.rate,
      profile: config.profile,
      seed: config.seed,
      driftAt: config.driftAt,
      maxActiveSessions: config.maxActiveSessions,
      newSessionProbability: config.newSessionProbability,
      basePurchaseProbability: config.basePurchaseProbability,
      purchaseScaling: config.purchaseScaling,
      maxPurchaseProbability: config.maxPurchaseProbability,
      progressIntervalMs: io.progressIntervalMs,
      stallTimeoutMs: io.stallTimeoutMs,
      signal,
      clock: io.clock,
      onProgress: (sample, previous) => {
        write(formatProgress(sample, previous, target, { terminal }) + (terminal ? "" : "\n"));
        drawn = terminal;
      },
    });
    if (drawn) write("\n");
    const errorMessages = result.failure !== null
      ? [result.failure, ...result.errorMessages.filter((m) => !result.failure!.endsWith(m))]
      : result.errorMessages;
    write(
      formatSummary({
        final: result.final,
        outcome: result.outcome,
        setup: `${setup}, seed ${result.seed}`,
        errorMessages,
      }) + "\n",
    );
    return result.outcome === "failed" ? 1 : 0;
  } finally {
    shutdown?.dispose();
  }
}
