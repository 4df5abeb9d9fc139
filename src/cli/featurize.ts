/**
 * `featurize [topic]`: one featurizer of a consumer group over the input topic (docs/design.md
 * "Scaling out"). Per micro-batch of the partitions it holds: rows (`GroupFeaturizer`: a
 * partition given afresh is replayed from its beginning, the rows the log already has are
 * suppressed), packed many per record (`row_codec.ts`) into `<topic>.features` — one partition,
 * infinite retention — through an idempotent producer with one request in flight, and bad
 * records into `<topic>.dlq`; then, only once both are acknowledged, the group's offsets of the
 * input partitions are committed. No state directory: the committed offsets and the input topic
 * are all it resumes from. A line every `--report-every` batches says what it emitted.
 *
 * @module
 */

import type { FeaturizeConfig } from "../config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import type { ConsumedRecord } from "../kafka/consumer.ts";
import { deadLetterTopic } from "../kafka/dead_letters.ts";
import { EventProducer } from "../kafka/producer.ts";
import { MicroBatcher } from "../stream/batcher.ts";
import { CountedSource } from "../stream/counted_source.ts";
import { featureSet } from "../learn/feature_sets.ts";
import { ensureFeatureLog, featureLogTopic } from "../stream/feature_log.ts";
import { GroupCommitter } from "../stream/group_commit.ts";
import { GroupFeaturizer } from "../stream/group_featurizer.ts";
import { resumingConnect } from "../stream/resume_hook.ts";
import { packRows } from "../stream/row_codec.ts";
import { RowBatch } from "../stream/row_batch.ts";
import { SideOutputWriter } from "../stream/side_outputs.ts";
import { SESSIONS_TOPIC_CONFIGS, sessionsTopic } from "../stream/session_snapshot.ts";
import { SnapshotFollower, type SnapshotSource } from "../stream/snapshot_follower.ts";
import { restoreSnapshots } from "../stream/snapshot_restore.ts";
import { SnapshotSaver } from "../stream/snapshot_saver.ts";
import { snapshotReader } from "./snapshot_reader.ts";
import { retry } from "../util/retry.ts";
import { serveFeaturizerStatus } from "./featurize_http.ts";
import { clientFor } from "./kafka_client.ts";
import {
  Cleanup,
  groupConsumer,
  groupMembership,
  reconnecting,
  runService,
  stopController,
  untilDone,
} from "./service.ts";

/** Where the featurizer writes; injected by tests. */
export interface FeaturizeIO {
  /** Report lines. Default: `console.log`. */
  log?: (text: string) => void;
  /** Stops the featurizer when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** What a featurizer has done so far. */
export interface FeaturizeTotals {
  /** Batches of input records featurized. */
  batches: number;
  /** Rows written to the feature log (events and dead-letter markers). */
  emitted: number;
  /** Rows computed to rebuild sessions but not written: the log had them. */
  suppressed: number;
  /** Bad records sent to the dead-letter topic. */
  deadLetters: number;
  /** Feature-log records written. */
  records: number;
  /** Session snapshots written to `<topic>.sessions`. */
  snapshots: number;
  /** Partitions restored from a snapshot on assignment. */
  restored: number;
}

/** A running featurizer. */
export interface RunningFeaturizer {
  /** Its totals (live). */
  readonly totals: Readonly<FeaturizeTotals>;
  /** Resolves when it has stopped (cleanly) and everything is closed. */
  readonly done: Promise<void>;
  /** The base URL of `/healthz` and `/metrics`. */
  readonly url: string;
}

/**
 * How long an assignment waits to read a fresh partition's snapshots, ms: well inside the
 * group's session timeout, since nothing of the new assignment is fetched meanwhile.
 */
const SNAPSHOT_WAIT_MS = 5000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Starts the featurizer; resolves once it has joined its group. */
export async function startFeaturizer(
  config: FeaturizeConfig,
  io: FeaturizeIO = {},
): Promise<RunningFeaturizer> {
  const log = io.log ?? console.log;
  const stop = stopController(io.signal);
  const cleanup = new Cleanup();
  try {
    const client = clientFor(config);
    const admin = await KafkaAdmin.connect(client);
    cleanup.push(() => admin.close());
    const topic = config.topic;
    if (await admin.ensureTopic(topic, { partitions: config.partitions })) {
      log(`created topic ${topic} (${config.partitions} partition(s))`);
    }
    const features = featureLogTopic(topic);
    if (await ensureFeatureLog(admin, topic)) {
      log(`created topic ${features} (1 partition, kept forever)`);
    }
    const dlqTopic = deadLetterTopic(topic);
    await admin.ensureTopic(dlqTopic, { partitions: config.partitions });
    // Rows keep their order: idempotent, one request in flight (EventProducer queues sends).
    const rowsOut = await EventProducer.connect(client, {
      topic: features,
      acks: "all",
      idempotent: true,
    });
    cleanup.push(() => rowsOut.close());
    const dlqProducer = await EventProducer.connect(client, {
      topic: dlqTopic,
      acks: "all",
      idempotent: true,
    });
    cleanup.push(() => dlqProducer.close());
    const onRetry = (error: Error, attempt: number, delayMs: number) =>
      log(
        `warning: writing rows or dead letters failed (attempt ${attempt}: ${error.message}); retrying in ${delayMs} ms`,
      );
    const deadLetters = new SideOutputWriter({
      deadLetters: dlqProducer,
      signal: stop.signal,
      onRetry,
    });

    // Session snapshots: one partition of <topic>.sessions per input partition, compacted.
    const snapTopic = sessionsTopic(topic);
    const inputPartitions = (await admin.partitionCount(topic)) ?? config.partitions;
    if (
      await admin.ensureTopic(snapTopic, {
        partitions: inputPartitions,
        configs: { ...SESSIONS_TOPIC_CONFIGS },
      })
    ) log(`created topic ${snapTopic} (${inputPartitions} partition(s), compacted)`);
    // One chunk per request, so no request exceeds the broker's largest record.
    const snapOut = await EventProducer.connect(client, {
      topic: snapTopic,
      acks: "all",
      maxBatchRecords: 1,
    });
    cleanup.push(() => snapOut.close());
    // Read <topic>.sessions from its start as a group of one (nothing committed); a reader that
    // fails is replaced, going on from the offsets read.
    const follower = new SnapshotFollower();
    const stopReading = new AbortController();
    const openReader = snapshotReader(client, {
      topic: snapTopic,
      groupPrefix: `${config.group}.sessions-reader`,
      follower,
    });
    // The first reader has joined before the group is: the first assignment can restore.
    let firstReader: Promise<SnapshotSource> | undefined = Promise.resolve(await openReader());
    const following = follower.keepFollowing(
      () => {
        const reader = firstReader ?? openReader();
        firstReader = undefined;
        return reader;
      },
      {
        signal: stopReading.signal,
        onRetry: (error, attempt, delayMs) =>
          log(
            `warning: reading ${snapTopic} failed (attempt ${attempt}: ${error.message}); reconnecting in ${delayMs} ms`,
          ),
      },
    ).catch((error) =>
      log(
        `warning: reading ${snapTopic} failed (${
          (error as Error).message
        }), and went on failing; partitions given from now on are replayed from their start`,
      )
    );
    cleanup.push(() => {
      stopReading.abort();
      return following;
    });

    const featurizer = new GroupFeaturizer({
      featureSet: featureSet(config.featureSet),
      sessions: config.sessions,
    });
    const totals: FeaturizeTotals = {
      batches: 0,
      emitted: 0,
      suppressed: 0,
      deadLetters: 0,
      records: 0,
      snapshots: 0,
      restored: 0,
    };
    const saver = new SnapshotSaver({
      featurizer,
      intervalMs: config.snapshotIntervalMs,
      write: async (partition, chunks) => {
        await retry(
          () => snapOut.sendRaw(chunks.map((c) => ({ ...c, partition }))),
          { initialDelayMs: 200, maxDelayMs: 5000, signal: stop.signal, onRetry },
        );
      },
      onSaved: () => totals.snapshots++,
    });
    // The stream position an assignment takes effect at; the first comes before any record.
    const stream: { counted?: CountedSource<ConsumedRecord> } = {};
    const membership = await groupMembership({
      name: "featurizer",
      client,
      group: config.group,
      log,
      signal: stop.signal,
    });
    const connect = resumingConnect({
      group: config.group,
      membership,
      connect: groupConsumer(client, {
        topic,
        group: config.group,
        startingOffsets: "earliest",
        // Featurizers of one group often stop together: leaving the group then waits on the
        // rebalance the others' leaving starts. Within the stop's time, give up waiting (the
        // coordinator drops the member after its session); nothing is lost, rows are acked.
        closeTimeoutMs: Math.max(1000, Math.floor(config.shutdownTimeoutMs / 3)),
      }),
      place: async (consumer, assignment) => {
        const partitions = assignment.filter((a) => a.topic === topic).flatMap((a) => a.partitions);
        const low = new Map((await admin.topicOffsets(topic)).map((o) => [o.partition, o.low]));
        const committed = await admin.groupOffsets(config.group, topic);
        // A partition given afresh waits here (kafkajs delivers nothing before this hook ends)
        // until its newest snapshot is read: it is paused until its state is restored.
        const paused = performance.now();
        const held = new Set(featurizer.partitions);
        const fresh = partitions.filter((p) => !held.has(p));
        const snapEnds = fresh.length === 0
          ? new Map<number, number>()
          : new Map((await admin.topicOffsets(snapTopic)).map((o) => [o.partition, o.high]));
        const snapshots = await restoreSnapshots({
          follower,
          topic: snapTopic,
          partitions: fresh,
          ends: snapEnds,
          featureSetId: featurizer.featureSetId,
          waitMs: SNAPSHOT_WAIT_MS,
          signal: stop.signal,
          log,
          onRestored: () => totals.restored++,
        });
        const seeks = featurizer.assign(
          partitions.map((partition) => ({
            partition,
            low: low.get(partition) ?? 0,
            committed: committed.get(partition) ?? -1,
            snapshot: snapshots.get(partition),
          })),
          stream.counted?.count ?? 0,
        );
        saver.given(fresh);
        if (fresh.length > 0) {
          log(
            `partitions ${fresh.join(",")} paused ${
              Math.round(performance.now() - paused)
            } ms for their session state`,
          );
        }
        for (const s of seeks) consumer.seek(s.partition, s.offset, topic);
        log(
          partitions.length === 0
            ? `assigned no partition of ${topic} (the group ${config.group} has more members than partitions)`
            : `assigned ${topic} partitions ${
              seeks.map((s) =>
                `${s.partition} (read from ${s.offset}, write from ${
                  Math.max(s.offset, featurizer.suppressBelow(s.partition) ?? 0)
                })`
              ).join(", ")
            }`,
        );
      },
    });
    const consumer = await reconnecting(connect, log);
    cleanup.push(() => consumer.close());
    const commits = new GroupCommitter(log);
    commits.attach(consumer);
    const counted = stream.counted = new CountedSource(consumer);
    const batcher = new MicroBatcher<ConsumedRecord>(counted, {
      triggerMs: config.triggerMs,
      maxEvents: config.maxBatchEvents,
      signal: stop.signal,
    });
    log(
      `featurizing ${topic} into ${features} (group ${config.group}, features ${config.featureSet}, trigger ${config.triggerMs} ms, up to ${config.rowsPerRecord} rows and ${config.recordBytes} bytes per record)`,
    );

    // What /healthz and /metrics show: replaced after every batch and end-offset refresh.
    const status = serveFeaturizerStatus({
      hostname: config.http.hostname,
      port: config.http.port,
      topic,
      endOffsets: () => admin.topicOffsets(topic),
      featurizer,
      totals,
      snapshotAt: (partition) => saver.savedAt(partition),
    });
    cleanup.push(() => status.close());
    const url = status.url;
    log(`serving /healthz and /metrics on ${url}`);

    const rows = new RowBatch(featurizer.rows);
    // Every --snapshot-interval, with a batch's rows acknowledged: each held partition's state,
    // where it moved on since its last snapshot.
    saver.start();
    const since = { emitted: 0, suppressed: 0, started: performance.now() };
    const processBatch = async (batch: readonly ConsumedRecord[], position: number) => {
      rows.clear();
      const result = featurizer.featurize(batch, position, rows);
      const records = packRows(rows, {
        maxRows: config.rowsPerRecord,
        maxBytes: config.recordBytes,
      });
      if (records.length > 0) {
        await retry(() => rowsOut.sendRaw(records.map((value) => ({ value, partition: 0 }))), {
          initialDelayMs: 200,
          maxDelayMs: 5000,
          signal: stop.signal,
          onRetry,
        });
      }
      await deadLetters.write({
        batchId: totals.batches,
        deadLetters: result.deadLetters,
        predictions: [],
      });
      // Only now, with the rows and dead letters acknowledged, may the group hear these offsets.
      const offsets = featurizer.commitOffsets();
      if (offsets.length > 0) {
        await commits.commit(offsets.map((o) => ({ topic, ...o })));
        if (!commits.failing) featurizer.committed(offsets);
      }
      await saver.saveIfDue();
      totals.batches++;
      totals.emitted += result.emitted;
      totals.suppressed += result.suppressed;
      totals.deadLetters += result.deadLetters.length;
      totals.records += records.length;
      status.publish();
      since.emitted += result.emitted;
      since.suppressed += result.suppressed;
      if (totals.batches % config.reportEvery === 0) {
        const seconds = (performance.now() - since.started) / 1000;
        log(
          `batch ${totals.batches}: ${plural(since.emitted, "row")} written (${
            Math.round(since.emitted / Math.max(seconds, 1e-3))
          }/s), ${since.suppressed} replayed; ${totals.emitted} rows, ${totals.records} records, ${totals.deadLetters} dead letters in all; partitions ${
            featurizer.partitions.join(",") || "none"
          }`,
        );
        since.emitted = since.suppressed = 0;
        since.started = performance.now();
      }
    };

    const done = untilDone(stop, cleanup, async () => {
      let position = 0;
      for await (const batch of batcher) {
        const first = position;
        position += batch.length;
        try {
          await processBatch(batch, first);
        } catch (error) {
          // Stopped while a write was retrying: nothing past the last commit counts as done.
          if (stop.signal.aborted) break;
          throw error;
        }
      }
      log(
        `stopped after ${totals.batches} batches: ${totals.emitted} rows in ${totals.records} records written, ${totals.deadLetters} dead letters`,
      );
    });
    return { totals, done, url };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/** Runs `featurize` until SIGINT/SIGTERM; resolves to the exit code. */
export function runFeaturize(config: FeaturizeConfig, io: FeaturizeIO = {}): Promise<number> {
  return runService(
    { name: "featurizer", shutdownTimeoutMs: config.shutdownTimeoutMs, signal: io.signal },
    (signal) => startFeaturizer(config, { ...io, signal }),
  );
}
