/**
 * `train [topic]`: the trainer service. Takes the state directory's lock, resumes from its newest
 * valid checkpoint, wires the Kafka consumer (a consumer group, manual commits) into the
 * micro-batcher, the batches into the {@linkcode Trainer}, the trainer's snapshots into the HTTP
 * handler under `Deno.serve`, and prints the per-batch report. Checkpoints are written after a
 * batch at most every `--checkpoint-interval`; group offsets are committed only as far as a
 * checkpoint covers. On SIGINT/SIGTERM it stops fetching, finishes the batch in progress,
 * checkpoints, commits, disconnects and closes HTTP.
 *
 * @module
 */

import type { TrainConfig } from "../config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import type { ConsumedRecord } from "../kafka/consumer.ts";
import { valueBytes } from "../kafka/consumed_record.ts";
import { CheckpointThrottle } from "../stream/checkpoint_throttle.ts";
import { GroupCommitter } from "../stream/group_commit.ts";
import { resumingConnect } from "../stream/resume_hook.ts";
import { featureSet } from "../learn/feature_sets.ts";
import { checkResumeFeatureSet } from "../stream/trainer_state.ts";
import { MicroBatcher } from "../stream/batcher.ts";
import { TrainerStats } from "../stream/trainer_stats.ts";
import { CheckpointStore, type CrashPoint } from "../stream/checkpoint.ts";
import { formatBatchReport } from "../stream/report.ts";
import { Trainer } from "../stream/trainer.ts";
import { SideOutputWriter } from "../stream/side_outputs.ts";
import { deadLetterTopic } from "../kafka/dead_letters.ts";
import { EventProducer } from "../kafka/producer.ts";
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

/** The crash test hook: kills this process at the n-th occurrence of the configured point. */
function crashHook(config: TrainConfig): ((point: CrashPoint) => void) | undefined {
  const crash = config.crash;
  if (crash === null) return undefined;
  let seen = 0;
  return (point) => {
    if (point === crash.point && ++seen === crash.after) {
      console.error(`test hook: crashing at ${point} (occurrence ${seen})`);
      Deno.kill(Deno.pid, "SIGKILL");
    }
  };
}

/** Starts the trainer and its HTTP server; resolves once both are up. */
export async function startTrainer(config: TrainConfig, io: TrainIO = {}): Promise<RunningTrainer> {
  const log = io.log ?? console.log;
  const stop = stopController(io.signal);
  const crash = crashHook(config);
  const features = featureSet(config.featureSet);

  const lock = await takeStateLock(config.stateDir, config.lockWaitMs, log);
  const cleanup = new Cleanup();
  cleanup.push(() => lock.release());
  try {
    const store = new CheckpointStore(config.stateDir, {
      onCorrupt: (error) => log(`warning: ${error.message}; using an older checkpoint`),
      crashHook: crash,
    });
    const restoreStart = performance.now();
    const loaded = await loadCheckpoint(store, config.mode, log);
    const readMs = performance.now() - restoreStart;
    if (loaded) checkResumeFeatureSet(loaded.state, features, loaded.file);

    const client = clientFor(config);
    const admin = await KafkaAdmin.connect(client);
    cleanup.push(() => admin.close());
    if (await admin.ensureTopic(config.topic, { partitions: config.partitions })) {
      log(`created topic ${config.topic} (${config.partitions} partition(s))`);
    }
    const dlqTopic = deadLetterTopic(config.topic);
    const predictionsTopic = `${config.topic}.predictions`;
    await admin.ensureTopic(dlqTopic, { partitions: config.partitions });
    if (config.predictions) {
      await admin.ensureTopic(predictionsTopic, { partitions: config.partitions });
    }
    const dlqProducer = await EventProducer.connect(client, {
      topic: dlqTopic,
      acks: "all",
      idempotent: true,
    });
    cleanup.push(() => dlqProducer.close());
    const predictionsProducer = config.predictions
      ? await EventProducer.connect(client, {
        topic: predictionsTopic,
        acks: "all",
        idempotent: true,
      })
      : undefined;
    if (predictionsProducer) cleanup.push(() => predictionsProducer.close());
    const sideOutputs = new SideOutputWriter({
      deadLetters: dlqProducer,
      predictions: predictionsProducer,
      signal: stop.signal,
      onRetry: (error, attempt, delayMs) =>
        log(
          `warning: writing side outputs failed (attempt ${attempt}: ${error.message}); retrying in ${delayMs} ms`,
        ),
      onRecovered: (attempts) => log(`side outputs written after ${attempts} attempts`),
    });

    const membership = await groupMembership({
      name: "trainer",
      client,
      group: config.group,
      stateDir: config.stateDir,
      lock,
      log,
      signal: stop.signal,
    });

    const watch = await watchEndOffsets(admin, config.topic, config.brokers, cleanup);

    const checkpoints = new CheckpointThrottle(store, {
      intervalMs: config.checkpointIntervalMs,
      last: loaded?.header.time,
    });
    const commits = new GroupCommitter(log);
    let reportCount = 0;
    const stats = new TrainerStats();
    const buildStart = performance.now();
    const trainer = new Trainer({
      topic: config.topic,
      featureSet: features,
      learner: {
        mode: config.mode,
        onDrift: config.onDrift,
        classWeight: config.classWeight,
        store: config.sessions,
      },
      target: config.target,
      restore: loaded?.state,
      broker: () => watch.view(),
      commit: (offsets, final) => commits.commit(offsets, { force: final }),
      crashHook: crash,
      sideOutputs: (outputs) => sideOutputs.write(outputs),
      collectPredictions: config.predictions,
      featurizeWorker: config.featurizeWorker,
      stats,
      checkpointDue: () => checkpoints.due,
      checkpoint: async (state, force) => {
        const start = performance.now();
        const time = await checkpoints.save(state, force);
        if (time !== null) {
          log(`checkpoint written in ${(performance.now() - start).toFixed(0)} ms`);
        }
        return time;
      },
      onBatch: (snapshot, info) => {
        reportCount++;
        log(formatBatchReport(snapshot, {
          batchEvents: info.records,
          includePurchasers: reportCount % config.reportEvery === 0,
        }));
      },
    });
    cleanup.push(() => Promise.resolve(trainer.close()));
    if (loaded) {
      trainer.markCheckpoint(loaded.header.time);
      const buildMs = performance.now() - buildStart;
      log(
        `checkpoint restored in ${(readMs + buildMs).toFixed(0)} ms (read and checked in ${
          readMs.toFixed(0)
        } ms, state rebuilt in ${buildMs.toFixed(0)} ms)`,
      );
    }

    // Every assignment resumes from the checkpoint (the seek rule, `stream/seek_rule.ts`). When
    // the broker goes away and kafkajs gives the consumer up, a new one is connected with
    // backoff (the trainer and its state stay; the new member's assignment resumes as above).
    const connectConsumer = resumingConnect({
      group: config.group,
      offsets: admin,
      checkpoint: () => trainer.offsets,
      membership,
      connect: groupConsumer(client, {
        topic: config.topic,
        group: config.group,
        startingOffsets: config.startingOffsets,
        maxBytesPerPartition: config.fetchBytes,
      }),
    });
    // (Not bound to the stop signal: the final commit after the last batch still needs it.)
    const consumer = await reconnecting(connectConsumer, log);
    commits.attach(consumer);
    cleanup.push(() => consumer.close());

    const { server, url } = serveSnapshots({
      http: config.http,
      snapshot: () => trainer.snapshot,
      watch,
      adminToken: config.adminToken,
      admin: (command) => trainer.admin(command),
      signal: stop.signal,
    });
    cleanup.push(() => server.shutdown());
    log(
      `training on ${config.topic} (group ${config.group}, mode ${config.mode}, features ${features.name}${
        config.featurizeWorker ? " in a worker" : ""
      }, trigger ${config.triggerMs} ms, sessions ≤ ${config.sessions.maxSessions} per partition idle ≤ ${config.sessions.idleSeconds} s, state ${config.stateDir})`,
    );
    log(`serving ${url}/weights  ${url}/metrics  ${url}/healthz  ${url}/`);

    const batcher = new MicroBatcher<ConsumedRecord>(consumer, {
      triggerMs: config.triggerMs,
      maxEvents: config.maxBatchEvents,
      maxBytes: config.maxBatchBytes,
      weight: valueBytes,
      emitEmpty: true,
      signal: stop.signal,
    });
    stats.closeReason = () => batcher.lastClose;

    const done = untilDone(stop, cleanup, async () => {
      try {
        await trainer.run(batcher, { signal: stop.signal });
      } finally {
        log(stats.summary());
      }
      await trainer.flush();
      const c = trainer.snapshot.checkpoint;
      if (c) log(`checkpoint of batch ${c.batchId} written to ${config.stateDir}`);
    });
    return { url, trainer, done };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/** Runs `train` until SIGINT/SIGTERM; resolves to the exit code. */
export function runTrain(config: TrainConfig, io: TrainIO = {}): Promise<number> {
  const log = io.log ?? console.log;
  return runService(
    {
      name: "trainer",
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      loses: "without a final checkpoint",
      signal: io.signal,
    },
    (signal) => startTrainer(config, { ...io, signal }),
    (running) => {
      const s = running.trainer.snapshot;
      log(`stopped after batch ${s.batchId}: ${s.eventsTrained} events trained`);
    },
  );
}
