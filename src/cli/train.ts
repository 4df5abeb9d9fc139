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
import { type ConsumedRecord, EventConsumer } from "../kafka/consumer.ts";
import { evictGroupMember } from "../kafka/evict_member.ts";
import { ReconnectingConsumer } from "../kafka/reconnecting_consumer.ts";
import { MicroBatcher } from "../stream/batcher.ts";
import { BrokerWatch } from "../stream/broker_watch.ts";
import { CheckpointStore, type CrashPoint } from "../stream/checkpoint.ts";
import { readGroupMember, writeGroupMember } from "../stream/group_member.ts";
import { formatBatchReport } from "../stream/report.ts";
import { acquireStateLock } from "../stream/state_lock.ts";
import { type BrokerView, Trainer } from "../stream/trainer.ts";
import type { Snapshot } from "../stream/snapshot.ts";
import { SideOutputWriter } from "../stream/side_outputs.ts";
import { deadLetterTopic } from "../kafka/dead_letters.ts";
import { EventProducer } from "../kafka/producer.ts";
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

/** The snapshot with the broker watch's current health, when it differs from the published one. */
function withLiveHealth(snapshot: Snapshot, view: BrokerView): Snapshot {
  if (snapshot.healthy === view.healthy && snapshot.healthReason === view.reason) return snapshot;
  return Object.freeze({ ...snapshot, healthy: view.healthy, healthReason: view.reason });
}

/** Starts the trainer and its HTTP server; resolves once both are up. */
export async function startTrainer(config: TrainConfig, io: TrainIO = {}): Promise<RunningTrainer> {
  const log = io.log ?? console.log;
  const stop = new AbortController();
  if (io.signal?.aborted) stop.abort();
  io.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const crash = crashHook(config);

  const lock = await acquireStateLock(config.stateDir, { waitMs: config.lockWaitMs });
  if (lock.waited) {
    log(
      `waited ${
        (lock.waited.ms / 1000).toFixed(2)
      } s for the lock of process ${lock.waited.owner.pid} (${lock.waited.detail})`,
    );
  }
  if (lock.tookOver) {
    log(
      `took over the stale lock of process ${lock.tookOver.pid} in ${config.stateDir} (${lock.staleBecause})`,
    );
  }
  const cleanup: (() => Promise<unknown>)[] = [() => lock.release()];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const store = new CheckpointStore(config.stateDir, {
      onCorrupt: (error) => log(`warning: ${error.message}; using an older checkpoint`),
      crashHook: crash,
    });
    const loaded = await store.loadLatest();
    if (loaded) {
      const s = loaded.state;
      log(
        `resuming from ${loaded.file}: batch ${s.batchId}, ${s.eventsTrained} events trained, next offsets ${
          s.offsets.map((o) => `${o.partition}:${o.offset}`).join(" ") || "none"
        }`,
      );
      const mode = s.learner.model.mode;
      if (mode !== config.mode) {
        throw new TypeError(
          `Cannot resume: the state in ${config.stateDir} holds a model in mode "${mode}", not "${config.mode}". Use --mode ${mode} or another --state-dir.`,
        );
      }
    }

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
    const dlqProducer = await EventProducer.connect(client, { topic: dlqTopic, acks: "all" });
    cleanup.push(() => dlqProducer.close());
    const predictionsProducer = config.predictions
      ? await EventProducer.connect(client, { topic: predictionsTopic, acks: "all" })
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

    // A member left behind in the group (by a killed trainer, or by this one's consumer that
    // failed while the broker was away) holds its partitions until the coordinator expires its
    // session: remove it, so that the next member does not wait for that.
    const removeMember = async (memberId: string, whose: string, quiet = false) => {
      try {
        const outcome = await evictGroupMember(client, config.group, memberId, 5000);
        log(
          outcome === "removed"
            ? `removed ${whose} member ${memberId} from group ${config.group}`
            : `${whose} member ${memberId} had already left group ${config.group}`,
        );
        return true;
      } catch (error) {
        if (!quiet) {
          log(
            `warning: ${
              (error as Error).message
            }; joining waits until the group drops ${whose} member`,
          );
        }
        return false;
      }
    };
    if (lock.tookOver) {
      const dead = await readGroupMember(config.stateDir);
      if (dead !== null && dead.group === config.group) {
        await removeMember(dead.memberId, "the dead trainer's");
      }
    }
    /** This trainer's member id since its consumer's last join. */
    let member: string | undefined;
    /** Keeps trying (the broker may still be away) until `memberId` is out of the group. */
    const removeMemberSoon = (memberId: string, whose: string) => {
      void (async () => {
        for (let attempt = 0; attempt < 60 && !stop.signal.aborted; attempt++) {
          if (await removeMember(memberId, whose, true)) return;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      })();
    };

    const watch = new BrokerWatch(
      async () =>
        new Map((await admin.topicOffsets(config.topic)).map((o) => [o.partition, o.high])),
      { name: config.brokers.join(",") },
    );
    await watch.start();
    cleanup.push(() => Promise.resolve(watch.stop()));

    let lastCheckpoint = loaded?.header.time ?? -Infinity;
    let reportCount = 0;
    const consumerReady = Promise.withResolvers<ReconnectingConsumer>();
    let commitFailing = false;
    const trainer = new Trainer({
      topic: config.topic,
      learner: { mode: config.mode, onDrift: config.onDrift },
      restore: loaded?.state,
      broker: () => watch.view(),
      // Group offsets are for lag monitoring only (the checkpoint is the truth): a commit that
      // fails while the broker is away is reported and retried with the next batch's commit.
      commit: async (offsets) => {
        try {
          await (await consumerReady.promise).commit(offsets);
          if (commitFailing) log("committing group offsets works again");
          commitFailing = false;
        } catch (error) {
          if (!commitFailing) {
            log(
              `warning: committing group offsets failed (${
                (error as Error).message
              }); the checkpoint holds the offsets, the next batch commits again`,
            );
          }
          commitFailing = true;
        }
      },
      crashHook: crash,
      sideOutputs: (outputs) => sideOutputs.write(outputs),
      collectPredictions: config.predictions,
      checkpoint: async (state, force) => {
        const now = Date.now();
        if (!force && now - lastCheckpoint < config.checkpointIntervalMs) return null;
        const header = await store.save(state());
        lastCheckpoint = header.time;
        return header.time;
      },
      onBatch: (snapshot, info) => {
        reportCount++;
        log(formatBatchReport(snapshot, {
          batchEvents: info.records,
          includePurchasers: reportCount % config.reportEvery === 0,
        }));
      },
    });
    if (loaded) trainer.markCheckpoint(loaded.header.time);

    // The checkpoint is the truth: on every assignment, a partition whose group offset is
    // missing or ahead of the checkpoint is moved back to the checkpoint's offset. One behind it
    // is left alone: what is redelivered below the checkpoint is skipped, and counted.
    // When the broker goes away and kafkajs gives the consumer up, a new one is connected with
    // backoff (the trainer and its state stay; the new member's assignment seeks as above).
    const connectConsumer = async (): Promise<EventConsumer> => {
      // A reconnect: the failed consumer's member may still be in the group (its leave request
      // went nowhere while the broker was away). Quiet: the connect below reports an outage.
      if (member !== undefined && await removeMember(member, "the failed consumer's", true)) {
        member = undefined;
      }
      const ready = Promise.withResolvers<EventConsumer>();
      ready.promise.catch(() => {});
      try {
        const c = await EventConsumer.connect(client, {
          topic: config.topic,
          groupId: config.group,
          startingOffsets: config.startingOffsets,
          autoCommit: false,
          // Joining a group whose previous member died (a crash, a SIGKILL) waits until the
          // coordinator expires that member's session; on a loaded machine that takes a while.
          connectTimeoutMs: 90_000,
          // kafkajs restarts a consumer that lost the broker as a new member; the old one
          // would hold up the rejoin until its session expired.
          onRestart: (previous) => {
            if (member === previous) member = undefined;
            removeMemberSoon(previous, "the restarted consumer's former");
          },
          onAssignment: async (assignment, memberId) => {
            member = memberId;
            await writeGroupMember(config.stateDir, { group: config.group, memberId });
            const saved = new Map(trainer.offsets.map((o) => [o.partition, o.offset]));
            if (saved.size === 0) return;
            const c = await ready.promise;
            const committed = await admin.groupOffsets(config.group, config.topic);
            for (const { topic, partitions } of assignment) {
              for (const partition of partitions) {
                const mine = saved.get(partition);
                if (mine === undefined) continue;
                const group = committed.get(partition) ?? -1;
                if (group < 0 || group > mine) c.seek(partition, mine, topic);
              }
            }
          },
        });
        ready.resolve(c);
        return c;
      } catch (error) {
        ready.reject(error);
        throw error;
      }
    };
    // (Not bound to the stop signal: the final commit after the last batch still needs it.)
    const consumer = await ReconnectingConsumer.connect(connectConsumer, {
      onReconnecting: (error, attempt, delayMs) =>
        log(
          `warning: the Kafka consumer stopped (attempt ${attempt}: ${error.message}); reconnecting in ${delayMs} ms`,
        ),
      onReconnected: (attempts, downMs) =>
        log(`the Kafka consumer is back after ${attempts} attempt(s), ${downMs} ms`),
    });
    consumerReady.resolve(consumer);
    cleanup.push(() => consumer.close());

    const server = Deno.serve(
      {
        hostname: config.http.hostname,
        port: config.http.port,
        onListen: () => {},
      },
      createHandler({
        // Health is live: a batch stuck on an unreachable broker (side outputs retrying) publishes
        // no new snapshot, yet /healthz must say 503 now — the broker watch's view wins.
        snapshot: () => withLiveHealth(trainer.snapshot, watch.view()),
        adminToken: config.adminToken,
        signal: stop.signal,
        admin: config.adminToken === null ? undefined : (command) => trainer.admin(command),
      }),
    );
    cleanup.push(() => server.shutdown());
    const url = `http://${config.http.hostname}:${server.addr.port}`;
    log(
      `training on ${config.topic} (group ${config.group}, mode ${config.mode}, trigger ${config.triggerMs} ms, state ${config.stateDir})`,
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
        await trainer.flush();
        const c = trainer.snapshot.checkpoint;
        if (c) log(`checkpoint of batch ${c.batchId} written to ${config.stateDir}`);
      } finally {
        stop.abort();
        await closeAll();
      }
    })();
    return { url, trainer, done };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Runs `train` until SIGINT/SIGTERM; resolves to the exit code. */
export async function runTrain(config: TrainConfig, io: TrainIO = {}): Promise<number> {
  const shutdown = shutdownSignal();
  const log = io.log ?? console.log;
  const signal = io.signal ?? shutdown.signal;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    watchdog = setTimeout(() => {
      console.error(
        `error: the trainer did not stop within ${config.shutdownTimeoutMs} ms; exiting without a final checkpoint`,
      );
      Deno.exit(1);
    }, config.shutdownTimeoutMs);
  };
  signal.addEventListener("abort", onStop, { once: true });
  try {
    const running = await startTrainer(config, { ...io, signal });
    await running.done;
    const s = running.trainer.snapshot;
    log(`stopped after batch ${s.batchId}: ${s.eventsTrained} events trained`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener("abort", onStop);
    shutdown.dispose();
  }
}
