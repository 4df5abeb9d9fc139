/**
 * The trainer: the featurize stage and the learn stage wired together in one process. Per
 * micro-batch of Kafka records, in order (docs/design.md "Data flow"):
 *
 * 1. the {@linkcode FeaturizeStage} skips records its state already covers, decodes and
 *    validates the rest, and writes one row each into a reused {@linkcode RowBatch} — an event
 *    row (features from its partition's own session store) or a dead-letter marker;
 * 2. the {@linkcode LearnStage} consumes the rows in order: score → learn → measure → drift,
 *    purchases, dead-letter counts, predictions;
 * 3. the side outputs (dead letters, predictions) are handed to their sinks and waited for;
 * 4. only then do the offsets advance; the checkpoint hook may run, group offsets are
 *    committed (for lag only, and only as far as a checkpoint covers);
 * 5. the {@linkcode SnapshotPublisher} publishes a new immutable {@linkcode Snapshot}, and the
 *    admin queue is drained.
 *
 * It imports neither kafkajs nor the HTTP server: records come in as plain objects, offsets go
 * out through an injected `commit`, the broker's state comes in through an injected function.
 *
 * With `featurizeWorker`, step 1 runs in a Web Worker (`featurize_worker_client.ts`) and the
 * two stages overlap: a batch is posted to the worker as soon as it closed, and learnt as soon
 * as its rows are back — while the next batch accumulates (the consumer fetching), or, when
 * more than `maxInFlight` batches are posted, right after the next is posted (so the worker has
 * it to do while the main thread learns the oldest). The model stays single and
 * ordered. The checkpoint must hold the stores as of the learnt batch, so before a batch after
 * which a checkpoint is due (`checkpointDue`) or an admin command waits, the pipeline is let run
 * dry: the batches in flight are learnt before the next is posted, and the stores are asked for
 * then (docs/design.md "`train` on two threads").
 *
 * @module
 */

import { DEFAULT_FEATURE_SET } from "../learn/feature_sets.ts";
import type { AdminCommand, AdminResult } from "./admin_queue.ts";
import { DurableLoop } from "./durable_loop.ts";
import { FeaturizeStage } from "./featurize_stage.ts";
import { LearnStage } from "./learn_stage.ts";
import type { NextOffset } from "./offset_ledger.ts";
import type { SourceRecord } from "./records.ts";
import { RowBatch } from "./row_batch.ts";
import type { Snapshot } from "./snapshot.ts";
import { checkResumeFeatureSet, type TrainerState } from "./trainer_state.ts";
import type { TrainerOptions } from "./trainer_options.ts";
import type { SessionStore } from "../learn/session_store.ts";
import type { FeaturizeResult, FeaturizeState } from "./featurize_stage.ts";
import { FeaturizeWorker, type WorkerBatch } from "./featurize_worker_client.ts";
import type { SessionCounts } from "./snapshot.ts";
import type { TrainerStats } from "./trainer_stats.ts";

export type { BrokerView } from "./broker_watch.ts";
export type { BatchInfo } from "./durable_loop.ts";
export type { NextOffset } from "./offset_ledger.ts";
export type { BatchOutputs, DeadLetter, Prediction, SourceRecord } from "./records.ts";
export type { TrainerState } from "./trainer_state.ts";
export type { TrainerOptions } from "./trainer_options.ts";

/** A batch posted to the featurize worker, not learnt yet. */
interface InFlight {
  batch: Promise<WorkerBatch>;
  start: number;
}

/** The two stages in one process; see the module documentation. */
export class Trainer {
  #topic: string;
  #options: TrainerOptions;
  #featurize: FeaturizeStage;
  #worker: FeaturizeWorker | null = null;
  /** The batches posted to the worker and not learnt yet, oldest first. */
  #inFlight: InFlight[] = [];
  #maxInFlight: number;
  #stats: TrainerStats | undefined;
  /** With the worker: the stores as of the learnt batch, when taken since (else `null`). */
  #stores: FeaturizeState<SessionStore> | null = null;
  #counts: SessionCounts = { live: 0, expired: 0, evicted: 0 };
  #learn: LearnStage;
  #rows: RowBatch;
  #loop: DurableLoop<TrainerState>;
  #broken: Error | null = null;

  /**
   * Creates the trainer (and its featurize worker, with `featurizeWorker`), fresh or from
   * `restore`.
   *
   * @param options see {@linkcode TrainerOptions}
   * @throws {RangeError} if `maxInFlight` is not an integer ≥ 1
   * @throws {TypeError} if `restore` is of another topic, or its stages disagree on an offset
   * @throws {FeatureSetMismatchError} if `restore` is of another feature set
   */
  constructor(options: TrainerOptions) {
    // Not the restored state: what the worker needs of it is posted to it below.
    this.#options = { ...options, restore: undefined };
    this.#topic = options.topic;
    this.#stats = options.stats;
    this.#maxInFlight = options.maxInFlight ?? 2;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) {
      throw new RangeError(
        `Trainer needs maxInFlight to be an integer >= 1, got ${options.maxInFlight}`,
      );
    }
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    const r = options.restore;
    if (r && r.topic !== undefined && r.topic !== options.topic) {
      throw new TypeError(
        `Cannot resume: the saved state was trained on topic "${r.topic}", not "${options.topic}".`,
      );
    }
    if (r) checkResumeFeatureSet(r, set, "the saved state");
    this.#featurize = new FeaturizeStage({
      featureSet: set,
      sessions: options.learner?.store,
      restore: r?.featurize,
    });
    this.#rows = new RowBatch(this.#featurize.rows);
    this.#learn = new LearnStage({
      topic: options.topic,
      featureSet: set,
      learner: options.learner,
      target: options.target,
      restore: r,
      clock: options.clock,
    });
    if (r) {
      for (const o of r.offsets) {
        const f = this.#featurize.next(o.partition);
        if (f !== o.offset) {
          throw new TypeError(
            `Cannot resume: the saved state's featurize stage covers partition ${o.partition} up to offset ${f}, its learn stage up to ${o.offset}.`,
          );
        }
      }
    }
    const checkpoint = options.checkpoint;
    if (options.featurizeWorker === true) {
      this.#counts = this.#featurize.sessionCounts();
      this.#worker = new FeaturizeWorker({
        featureSet: set,
        sessions: options.learner?.store,
        restore: r ? this.#featurize.state() : undefined,
        sessionIds: options.collectPredictions === true || options.onRows !== undefined,
      });
      // The worker has its own copy; this one stays empty (its stores are not kept twice: a
      // checkpoint asks the worker for them).
      this.#featurize = new FeaturizeStage({ featureSet: set, sessions: options.learner?.store });
    }
    this.#loop = new DurableLoop({
      ...this.#options,
      name: "trainer",
      learn: this.#learn,
      state: () => this.state(),
      offsets: () => this.offsets,
      reset: () => this.#reset(),
      restored: r ? this.offsets : undefined,
      sessions: () => this.#worker ? this.#counts : this.#featurize.sessionCounts(),
      quiescent: () => this.#inFlight.length === 0,
      checkpoint: checkpoint && this.#worker
        ? async (state, force) => {
          if (!force && !(this.#options.checkpointDue?.() ?? true)) return null;
          if (this.#inFlight.length > 0) {
            // The worker's stores would be of the batch in flight, the model of the one before.
            throw new Error("Cannot checkpoint the trainer with a batch in its featurize worker.");
          }
          this.#stores = await this.#worker!.state();
          return await checkpoint(state, force);
        }
        : checkpoint,
    });
  }

  /** The latest published snapshot (immutable). */
  get snapshot(): Snapshot {
    return this.#loop.snapshot;
  }

  /** The next offset per partition the state covers (where a restart must resume). */
  get offsets(): NextOffset[] {
    return this.#learn.offsets;
  }

  /** Enqueues an admin command; resolves after the trainer carried it out between batches. */
  admin(command: AdminCommand): Promise<AdminResult> {
    return this.#loop.admin(command);
  }

  /**
   * The full state, for a checkpoint: its session stores are the trainer's own (streamed, not
   * copied, by the checkpoint), valid until the next batch; `JSON.stringify` gives a copy.
   */
  state(): TrainerState {
    if (this.#worker && this.#stores === null) {
      throw new Error(
        "The trainer's session stores are in its featurize worker: its state is taken through the checkpoint hook.",
      );
    }
    const featurize = this.#stores ?? this.#featurize.state();
    return { topic: this.#topic, ...this.#learn.state(), featurize };
  }

  /** Ends the featurize worker (when there is one); the trainer cannot go on after it. */
  close(): void {
    this.#worker?.close();
  }

  /** Marks that a checkpoint of the current state was written at `time` (ms). */
  markCheckpoint(time: number): void {
    this.#loop.markCheckpoint(time);
  }

  /**
   * Writes a checkpoint of the current state now (when a checkpoint hook is set) and commits
   * its offsets: the last step of a clean shutdown. With the featurize worker, a batch still in
   * flight (its batches ended by an error) is learnt first.
   */
  async flush(): Promise<void> {
    if (this.#broken !== null) return;
    // With the worker, a batch posted but not learnt (the batches ended by an error) is learnt
    // first: else the checkpoint would pair its stores with the model before it.
    await this.#drain();
    await this.#loop.flush();
  }

  /**
   * Consumes micro-batches until they end or `signal` aborts (the batch in progress is
   * finished first). Empty batches refresh health and lag and drain the admin queue.
   */
  run(
    batches: AsyncIterable<readonly SourceRecord[]>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const stats = this.#stats;
    const timed = (process: (records: readonly SourceRecord[]) => Promise<void>) =>
      stats === undefined ? process : async (records: readonly SourceRecord[]) => {
        stats.arrived(records.length);
        await process(records);
        stats.waiting();
      };
    if (this.#worker === null) {
      return this.#loop.run(batches, timed((r) => this.processBatch(r)), options.signal);
    }
    return this.#loop.run(
      batches,
      timed((records) => this.#pipelined(records)),
      options.signal,
      () => this.#drain(),
      (next) => this.#idle(next),
    );
  }

  /** Processes one micro-batch (see the module documentation for the order of steps). */
  async processBatch(records: readonly SourceRecord[]): Promise<void> {
    this.#checkBroken();
    if (this.#worker !== null) {
      await this.#drain();
      return await this.#finish(this.#post(records));
    }
    const start = performance.now();
    const rows = this.#rows;
    rows.clear();
    const featurized = this.#featurize.featurize(records, rows);
    const learnStart = performance.now();
    this.#stats?.add("featurize", learnStart - start, 0);
    await this.#learnRows(featurized, start);
    this.#stats?.add("learn", performance.now() - learnStart, rows.length);
  }

  #checkBroken(): void {
    if (this.#broken !== null) {
      throw new Error(
        "The trainer cannot go on: a batch's side outputs failed after the model learnt from it; restart from the checkpoint.",
        { cause: this.#broken },
      );
    }
  }

  /**
   * With the worker: posts `records`, first learning the batches in flight when a checkpoint is
   * due or an admin command waits (so that they run with the worker at the same point, see the
   * module documentation); then learns the oldest batches beyond `maxInFlight`.
   */
  async #pipelined(records: readonly SourceRecord[]): Promise<void> {
    this.#checkBroken();
    const due = this.#options.checkpoint !== undefined &&
      (this.#options.checkpointDue?.() ?? true);
    if (due || this.#loop.adminPending) await this.#drain();
    this.#inFlight.push(this.#post(records));
    // Counted before the trim: up to maxInFlight + 1 are posted at once, for a moment.
    this.#stats?.inFlight(this.#inFlight.length);
    while (this.#inFlight.length > this.#maxInFlight) await this.#finish(this.#inFlight.shift()!);
  }

  /**
   * With the worker, while the next batch accumulates (`next` pending): learns the batches in
   * flight whose rows come back before it — so that a batch is learnt as soon as it can be, not
   * when the next batch arrives (a trigger later, when the input is caught up), and the consumer
   * goes on fetching between.
   */
  async #idle(next: Promise<unknown>): Promise<void> {
    let arrived = false;
    const input = next.then(() => arrived = true, () => arrived = true).then(() => false);
    while (this.#inFlight.length > 0 && !arrived) {
      const oldest = this.#inFlight[0];
      const back = await Promise.race([input, oldest.batch.then(() => true, () => true)]);
      if (!back || this.#inFlight[0] !== oldest) return;
      this.#inFlight.shift();
      this.#stats?.learntWhileIdle();
      await this.#finish(oldest);
    }
  }

  /** With the worker: learns the batches in flight, oldest first (the pipeline runs dry). */
  async #drain(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#finish(this.#inFlight.shift()!);
  }

  #post(records: readonly SourceRecord[]): InFlight {
    const start = performance.now();
    const batch = this.#worker!.featurize(records);
    batch.catch(() => {}); // awaited in #finish; a failure must not go unhandled meanwhile
    this.#stats?.add("post", performance.now() - start, 0);
    return { batch, start };
  }

  async #finish(inFlight: InFlight): Promise<void> {
    const stats = this.#stats;
    const waited = performance.now();
    const batch = await inFlight.batch;
    const start = performance.now();
    stats?.add("waitRows", start - waited, 0);
    stats?.worker(batch.featurizeMs, batch.backAt - inFlight.start, start - batch.backAt);
    const featurized = batch.into(this.#rows);
    this.#counts = batch.counts;
    this.#stores = null;
    const rows = this.#rows.length;
    await this.#learnRows(featurized, inFlight.start);
    // Learnt: the rows' columns go back to the worker for a later batch.
    this.#worker!.recycle(this.#rows);
    stats?.add("learn", performance.now() - start, rows);
  }

  /** Steps 2–5 of the module documentation, for the batch's rows in `this.#rows`. */
  async #learnRows(featurized: FeaturizeResult, start: number): Promise<void> {
    const rows = this.#rows;
    this.#options.onRows?.(rows);
    const sideOutputs = this.#options.sideOutputs;
    const learned = this.#learn.learn(rows, {
      predictions: sideOutputs !== undefined && this.#options.collectPredictions === true,
    });
    if (learned.rows === 0) {
      this.#learn.complete(learned, featurized.skipped);
      await this.#loop.afterBatch(false);
      return;
    }
    this.#options.crashHook?.("mid-batch");
    if (sideOutputs) {
      try {
        await sideOutputs({
          batchId: learned.batchId,
          deadLetters: featurized.deadLetters,
          predictions: learned.predictions,
        });
      } catch (error) {
        // The model has learnt from records whose side outputs are not written: the live state
        // is now ahead of its offsets. Refuse to go on; the checkpoint is the way back.
        this.#broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    }
    // Only now, with the side outputs acknowledged, does the state move past these records.
    this.#learn.complete(learned, featurized.skipped);
    await this.#loop.completed(learned, start, featurized.skipped + learned.skipped);
  }

  #reset(): AdminResult {
    const batchId = this.#learn.batchId;
    this.#learn.reset();
    this.#featurize.reset();
    if (this.#worker) {
      this.#worker.reset();
      this.#stores = null;
      this.#counts = { live: 0, expired: 0, evicted: 0 };
    }
    this.#loop.resetHistory();
    return {
      ok: true,
      message: `model, features and metrics reset after batch ${batchId}; offsets kept`,
      batchId,
    };
  }
}
