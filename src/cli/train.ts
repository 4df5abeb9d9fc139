/**
 * `train [topic]`: the trainer service. Wires the Kafka consumer (a consumer group, manual
 * commits) into the micro-batcher, the batches into the {@linkcode Trainer}, the trainer's
 * snapshots into the HTTP handler under `Deno.serve`, and prints the per-batch report. On
 * SIGINT/SIGTERM it stops fetching, finishes the batch in progress, commits, disconnects and
 * closes HTTP.
 *
 * @module
 */

import type { TrainConfig } from "../config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import { type ConsumedRecord, EventConsumer } from "../kafka/consumer.ts";
import { MicroBatcher } from "../stream/batcher.ts";
import { BrokerWatch } from "../stream/broker_watch.ts";
import { formatBatchReport } from "../stream/report.ts";
import { Trainer } from "../stream/trainer.ts";
import { createHandler } from "../http/handler.ts";
import { clientFor, shutdownSignal } from "./kafka_client.ts";

/** Where the trainer writes; injected by the demo and tests. */
export interface TrainIO {
  /** Report and status lines. Default: `console.log`. */
  log?: (text: string) => void;
  /** Stops the trainer when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** A running trainer. */
export interface RunningTrainer {
  /** The HTTP base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The trainer (its `snapshot` is what HTTP serves). */
  readonly trainer: Trainer;
  /** Resolves when the trainer has stopped (cleanly) and everything is closed. */
  readonly done: Promise<void>;
}

/** Starts the trainer and its HTTP server; resolves once both are up. */
export async function startTrainer(config: TrainConfig, io: TrainIO = {}): Promise<RunningTrainer> {
  const log = io.log ?? console.log;
  const stop = new AbortController();
  if (io.signal?.aborted) stop.abort();
  io.signal?.addEventListener("abort", () => stop.abort(), { once: true });

  const client = clientFor(config);
  const admin = await KafkaAdmin.connect(client);
  try {
    if (await admin.ensureTopic(config.topic, { partitions: config.partitions })) {
      log(`created topic ${config.topic} (${config.partitions} partition(s))`);
    }
  } catch (error) {
    await admin.close();
    throw error;
  }
  const watch = new BrokerWatch(
    async () => new Map((await admin.topicOffsets(config.topic)).map((o) => [o.partition, o.high])),
    { name: config.brokers.join(",") },
  );
  await watch.start();

  let reportCount = 0;
  const trainer = new Trainer({
    topic: config.topic,
    learner: { mode: config.mode },
    broker: () => watch.view(),
    commit: (offsets) => consumer.commit(offsets),
    onBatch: (snapshot, info) => {
      reportCount++;
      log(formatBatchReport(snapshot, {
        batchEvents: info.records,
        includePurchasers: reportCount % config.reportEvery === 0,
      }));
    },
  });

  const consumer = await EventConsumer.connect(client, {
    topic: config.topic,
    groupId: config.group,
    startingOffsets: config.startingOffsets,
    autoCommit: false,
  });

  const server = Deno.serve(
    {
      hostname: config.http.hostname,
      port: config.http.port,
      signal: stop.signal,
      onListen: () => {},
    },
    createHandler({
      snapshot: () => trainer.snapshot,
      adminToken: config.adminToken,
      admin: config.adminToken === null ? undefined : (command) => trainer.admin(command),
    }),
  );
  const url = `http://${config.http.hostname}:${server.addr.port}`;
  log(
    `training on ${config.topic} (group ${config.group}, mode ${config.mode}, trigger ${config.triggerMs} ms)`,
  );
  log(`serving ${url}/weights  ${url}/metrics  ${url}/healthz  ${url}/`);

  const batcher = new MicroBatcher<ConsumedRecord>(consumer, {
    triggerMs: config.triggerMs,
    maxEvents: config.maxBatchEvents,
    emitEmpty: true,
    signal: stop.signal,
  });

  const done = (async () => {
    try {
      await trainer.run(batcher, { signal: stop.signal });
    } finally {
      stop.abort();
      watch.stop();
      await consumer.close().catch(() => {});
      await admin.close().catch(() => {});
      await server.finished;
    }
  })();
  return { url, trainer, done };
}

/** Runs `train` until SIGINT/SIGTERM; resolves to the exit code. */
export async function runTrain(config: TrainConfig, io: TrainIO = {}): Promise<number> {
  const shutdown = shutdownSignal();
  const log = io.log ?? console.log;
  try {
    const running = await startTrainer(config, { ...io, signal: io.signal ?? shutdown.signal });
    await running.done;
    const s = running.trainer.snapshot;
    log(`stopped after batch ${s.batchId}: ${s.eventsTrained} events trained`);
    return 0;
  } finally {
    shutdown.dispose();
  }
}
