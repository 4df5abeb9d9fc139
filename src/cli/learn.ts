/**
 * `learn [topic]`: one learner replica of the feature log `<topic>.features` (docs/design.md
 * "Scaling out"). Takes its state directory's lock, resumes from its newest valid checkpoint
 * (the learn stage and its position in the log), reads the log in order with a consumer group of
 * its own (the seek rule on the log's one partition), learns each micro-batch of rows through
 * the {@linkcode FeatureLogLearner}, checkpoints at most every `--checkpoint-interval`, commits
 * the group offset only as far as a checkpoint covers, and serves `/weights` (with the model
 * version and each input partition's count and next offset), `/metrics`, `/predict` and the
 * dashboard. `POST /reset` is refused with 409; `--mode seed` is refused by its configuration.
 *
 * @module
 */

import { featureSet } from "../learn/feature_sets.ts";
import type { LearnConfig } from "../config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import type { ConsumedRecord } from "../kafka/consumer.ts";
import { MicroBatcher } from "../stream/batcher.ts";
import { CheckpointStore } from "../stream/checkpoint.ts";
import { CheckpointThrottle } from "../stream/checkpoint_throttle.ts";
import { ensureFeatureLog, featureLogTopic } from "../stream/feature_log.ts";
import { GroupCommitter } from "../stream/group_commit.ts";
import { FeatureLogLearner, LEARNER_CHECKPOINT, type LearnerState } from "../stream/log_learner.ts";
import { replicaGroup } from "../stream/replica_group.ts";
import { formatBatchReport } from "../stream/report.ts";
import { resumingConnect } from "../stream/resume_hook.ts";
import { rowCount } from "../stream/row_codec.ts";
import { clientFor } from "./kafka_client.ts";
import {
  Cleanup,
  groupConsumer,
  groupMembership,
  loadCheckpoint,
  reconnecting,
  runService,
  serveSnapshots,
  stopController,
  takeStateLock,
  untilDone,
  watchEndOffsets,
} from "./service.ts";

/**
 * Bytes fetched from the feature log's one partition per request: 16 MiB, about 90k `shop` rows
 * (the consumer's default, 1 MiB, is 4 records of 2000 rows: the learner waited on the broker for
 * a quarter of its time in `bench:scale`). With a batch closing when a fetch is drained, one fetch
 * makes one batch; at 8 MiB it took two batches of ≈ 44k rows, each with its per-batch costs.
 */
const LOG_FETCH_BYTES = 16 * 1024 * 1024;

/**
 * A batch also closes when the fetched records run out once it holds `--max-batch-events` / this
 * many rows (the batcher's `drainedAt`), so it is learnt while kafkajs fetches the next: a
 * 100k-row batch of 8 MiB fetches (≈ 44k rows each) waited mid-way for one, and the fetch after it
 * started only once the batch was learnt (≈ 25% of the steady wall time waiting).
 */
const LEARN_DRAINED_SHARE = 4;

/** Where the learner writes; injected by tests. */
export interface LearnIO {
  /** Report and status lines. Default: `console.log`. */
  log?: (text: string) => void;
  /** Stops the learner when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** A running learner. */
export interface RunningLearner {
  /** The HTTP base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The learner (its `snapshot` is what HTTP serves). */
  readonly learner: FeatureLogLearner;
  /** Resolves when the learner has stopped (cleanly) and everything is closed. */
  readonly done: Promise<void>;
}

/** Starts the learner and its HTTP server; resolves once both are up. */
export async function startLearner(config: LearnConfig, io: LearnIO = {}): Promise<RunningLearner> {
  const log = io.log ?? console.log;
  const stop = stopController(io.signal);
  const lock = await takeStateLock(config.stateDir, config.lockWaitMs, log);
  const cleanup = new Cleanup();
  cleanup.push(() => lock.release());
  try {
    const store = new CheckpointStore<LearnerState>(config.stateDir, {
      format: LEARNER_CHECKPOINT,
      onCorrupt: (error) => log(`warning: ${error.message}; using an older checkpoint`),
    });
    const loaded = await loadCheckpoint(
      store,
      config.mode,
      log,
      (s) => `model version ${s.featureLog.offset} (${s.featureLog.topic})`,
    );
    const group = config.group ?? await replicaGroup(config.stateDir);
    const topic = config.topic;
    const features = featureLogTopic(topic);

    const client = clientFor(config);
    const admin = await KafkaAdmin.connect(client);
    cleanup.push(() => admin.close());
    if (await ensureFeatureLog(admin, topic)) {
      log(`created topic ${features} (1 partition, kept forever)`);
    }
    const membership = await groupMembership({
      name: "learner",
      client,
      group,
      stateDir: config.stateDir,
      lock,
      log,
      signal: stop.signal,
    });
    // The lag: records of the input topic not learnt yet (the ledger against its end offsets).
    const watch = await watchEndOffsets(admin, topic, config.brokers, cleanup);
    // The feature log's end against the model version: the learner's own share of that lag.
    const logWatch = await watchEndOffsets(admin, features, config.brokers, cleanup);

    const checkpoints = new CheckpointThrottle(store, {
      intervalMs: config.checkpointIntervalMs,
      last: loaded?.header.time,
    });
    const commits = new GroupCommitter(log);
    let reportCount = 0;
    const learner = new FeatureLogLearner({
      topic,
      featureLog: features,
      featureSet: featureSet(config.featureSet),
      learner: { mode: config.mode, onDrift: config.onDrift, classWeight: config.classWeight },
      target: config.target,
      restore: loaded?.state,
      capacity: Math.min(config.maxBatchEvents, 1_000_000),
      broker: () => watch.view(),
      featureLogEnd: () => logWatch.view().highWatermarks?.get(0) ?? null,
      commit: (offsets, final) => commits.commit(offsets, { force: final }),
      checkpoint: (state, force) => checkpoints.save(state, force),
      onBatch: (snapshot, info) => {
        reportCount++;
        log(
          `model version ${learner.modelVersion}: ${
            formatBatchReport(snapshot, {
              batchEvents: info.records,
              includePurchasers: reportCount % config.reportEvery === 0,
            })
          }`,
        );
      },
    });
    if (loaded) learner.markCheckpoint(loaded.header.time);

    const connect = resumingConnect({
      group,
      offsets: admin,
      checkpoint: () => learner.offsets,
      membership,
      connect: (hooks) =>
        groupConsumer(client, {
          topic: features,
          group,
          startingOffsets: "earliest",
          maxBytesPerPartition: LOG_FETCH_BYTES,
          // Safe here: see `releasing()`.
          recycleResponses: true,
        })({
          ...hooks,
          onAssignment: async (assignment, memberId) => {
            await hooks.onAssignment(assignment, memberId);
            if (assignment.every((a) => a.partitions.length === 0)) {
              log(
                `warning: assigned no partition of ${features}: another member of group ${group} reads it; each replica needs its own group (leave --group out to derive one)`,
              );
            }
          },
        }),
    });
    const consumer = await reconnecting(connect, log);
    commits.attach(consumer);
    cleanup.push(() => consumer.close());

    const { server, url } = serveSnapshots({
      http: config.http,
      snapshot: () => learner.snapshot,
      watch,
      adminToken: config.adminToken,
      admin: (command) => learner.admin(command),
      signal: stop.signal,
    });
    cleanup.push(() => server.shutdown());
    log(
      `learning from ${features} (group ${group}, mode ${config.mode}, features ${config.featureSet}, model version ${learner.modelVersion}, state ${config.stateDir})`,
    );
    log(`serving ${url}/weights  ${url}/metrics  ${url}/healthz  ${url}/`);

    // A batch closes at --max-batch-events rows (a record's weight is the rows it packs), or at a
    // quarter of that when the fetched records run out: it is learnt while the next fetch comes.
    const batcher = new MicroBatcher<ConsumedRecord>(consumer, {
      triggerMs: config.triggerMs,
      weight: (record) => record.value === null ? 1 : Math.max(1, rowCount(record.value)),
      maxBytes: config.maxBatchEvents,
      drainedAt: Math.ceil(config.maxBatchEvents / LEARN_DRAINED_SHARE),
      emitEmpty: true,
      signal: stop.signal,
    });

    const done = untilDone(stop, cleanup, async () => {
      await learner.run(releasing(batcher, consumer), { signal: stop.signal });
      await learner.flush();
      log(`input: ${batcher.input.format()}`);
      if (learner.snapshot.checkpoint) {
        log(`checkpoint of model version ${learner.modelVersion} written to ${config.stateDir}`);
      }
    });
    return { url, learner, done };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/**
 * The micro-batches of `batches`, each released to the consumer in use (`EventConsumer.release`)
 * once the learner asks for the next, which it does when it has processed the batch:
 * `processBatch` decodes every record's rows into the learner's own `RowBatch`, keeps no record
 * nor a view of one past it, and a record it refuses ends the run (nothing goes to a dead-letter
 * topic here), so their fetch responses may be read into again. A batch's last record is the last
 * one the consumer handed out to it (one carried into the next batch came after it). This holds
 * only for a loop that asks for the next batch once the one before is processed, as
 * `FeatureLogLearner.run` does (`DurableLoop.run` without `idle`); a pipelined loop — `train`'s
 * `Trainer.run`, which asks while it still works on a batch — would release records in use.
 */
export async function* releasing(
  batches: AsyncIterable<ConsumedRecord[]>,
  consumer: { readonly current: { release(through: ConsumedRecord): void } },
): AsyncGenerator<ConsumedRecord[], void, undefined> {
  for await (const batch of batches) {
    yield batch;
    const last = batch.at(-1);
    if (last !== undefined) consumer.current.release(last);
  }
}

/** Runs `learn` until SIGINT/SIGTERM; resolves to the exit code. */
export function runLearn(config: LearnConfig, io: LearnIO = {}): Promise<number> {
  const log = io.log ?? console.log;
  return runService(
    {
      name: "learner",
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      loses: "without a final checkpoint",
      signal: io.signal,
    },
    (signal) => startLearner(config, { ...io, signal }),
    (running) => {
      const s = running.learner.snapshot;
      log(
        `stopped at model version ${running.learner.modelVersion}: ${s.eventsTrained} events trained`,
      );
    },
  );
}
