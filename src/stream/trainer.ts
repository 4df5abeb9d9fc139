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
 * two stages overlap: while the main thread learns batch k (and fetches the next), the worker
 * featurizes batch k+1. The model stays single and ordered. The checkpoint must hold the stores
 * as of the learnt batch, so before a batch after which a checkpoint is due (`checkpointDue`) or
 * an admin command waits, the pipeline is let run dry: batch k is learnt before k+1 is posted,
 * and the stores are asked for then (docs/design.md "The trainer as two stages").
 *
 * @module
 */

import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET } from "../learn/feature_sets.ts";
import type { LearnerOptions } from "../learn/learner.ts";
import type { AdminCommand, AdminResult } from "./admin_queue.ts";
import { DurableLoop, type DurableLoopHooks } from "./durable_loop.ts";
import { FeaturizeStage } from "./featurize_stage.ts";
import { LearnStage } from "./learn_stage.ts";
import type { NextOffset } from "./offset_ledger.ts";
import type { BatchOutputs, SourceRecord } from "./records.ts";
import { RowBatch } from "./row_batch.ts";
import type { Snapshot } from "./snapshot.ts";
import { checkResumeFeatureSet, type TrainerState } from "./trainer_state.ts";
import type { Target } from "../learn/target.ts";
import type { SessionStore } from "../learn/session_store.ts";
import type { FeaturizeResult, FeaturizeState } from "./featurize_stage.ts";
import { FeaturizeWorker, type WorkerBatch } from "./featurize_worker_client.ts";
import type { SessionCounts } from "./snapshot.ts";

export type { BrokerView } from "./broker_watch.ts";
export type { BatchInfo } from "./durable_loop.ts";
export type { NextOffset } from "./offset_ledger.ts";
export type { BatchOutputs, DeadLetter, Prediction, SourceRecord } from "./records.ts";
export type { TrainerState } from "./trainer_state.ts";

/** Options of {@linkcode Trainer} (and the hooks of `DurableLoopHooks`). */
export interface TrainerOptions extends DurableLoopHooks<TrainerState> {
  /** The topic trained on (for the snapshot). Required. */
  topic: string;
  /**
   * Learner options (mode, hyper-parameters; `store`: the bounds of each partition's session
   * store); only the drift reaction applies when `restore` is given. Default: `{}`.
   */
  /** What it learns (see `LearnStageOptions.target`). Default `"purchase"`. */
  target?: Target;
  learner?: Omit<LearnerOptions, "featureSet">;
  /** The features (`--features`, see `feature_sets.ts`). Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** State to continue from (a checkpoint) of the same feature set. Default: a fresh start. */
  restore?: TrainerState;
  /** Writes the batch's side outputs and resolves once acknowledged. Default: none. */
  sideOutputs?: (outputs: BatchOutputs) => Promise<void>;
  /** Whether to collect predictions for `sideOutputs`. Default: `false`. */
  collectPredictions?: boolean;
  /** Sees each batch's rows between the stages (valid only during the call). Default: none. */
  onRows?: (rows: RowBatch) => void;
  /**
   * Featurize in a Web Worker beside the learn stage, the two overlapping (see the module
   * documentation); call {@linkcode Trainer.close} at the end. Default `false`.
   */
  featurizeWorker?: boolean;
  /**
   * Whether an unforced checkpoint would be written now (the throttle's `due`): with the worker,
   * the pipeline runs dry before such a batch. Default: always, when there is a `checkpoint`.
   */
  checkpointDue?: () => boolean;
  /**
   * With the worker: the size of a full micro-batch (the batcher's `maxEvents`). A batch with
   * fewer records closed on time — the input is caught up, nothing more is waiting — so it is
   * learnt at once instead of when the next batch comes (up to a trigger later). Default `1`:
   * only an empty batch drains the pipeline.
   */
  fullBatchEvents?: number;
}

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
  /** The batch the worker featurizes ahead of the learn stage. */
  #inFlight: InFlight | null = null;
  /** With the worker: the stores as of the learnt batch, when taken since (else `null`). */
  #stores: FeaturizeState<SessionStore> | null = null;
  #counts: SessionCounts = { live: 0, expired: 0, evicted: 0 };
  #learn: LearnStage;
  #rows: RowBatch;
  #loop: DurableLoop<TrainerState>;
  #broken: Error | null = null;

  /**
   * @param options see {@linkcode TrainerOptions}
   * @throws {TypeError} if `restore` is of another topic, or its stages disagree on an offset
   * @throws {FeatureSetMismatchError} if `restore` is of another feature set
   */
  constructor(options: TrainerOptions) {
    this.#options = options;
    this.#topic = options.topic;
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
      this.#stores = this.#featurize.state();
      this.#counts = this.#featurize.sessionCounts();
      this.#worker = new FeaturizeWorker({
        featureSet: set,
        sessions: options.learner?.store,
        restore: r ? this.#stores : undefined,
        sessionIds: options.collectPredictions === true || options.onRows !== undefined,
      });
      // The worker has its own copy; this one stays empty (its stores are not kept twice).
      this.#featurize = new FeaturizeStage({ featureSet: set, sessions: options.learner?.store });
    }
    this.#loop = new DurableLoop({
      ...options,
      name: "trainer",
      learn: this.#learn,
      state: () => this.state(),
      offsets: () => this.offsets,
      reset: () => this.#reset(),
      restored: r ? this.offsets : undefined,
      sessions: () => this.#worker ? this.#counts : this.#featurize.sessionCounts(),
      quiescent: () => this.#inFlight === null,
      checkpoint: checkpoint && this.#worker
        ? async (state, force) => {
          if (!force && !(options.checkpointDue?.() ?? true)) return null;
          if (this.#inFlight !== null) {
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
    if (this.#worker === null) {
      return this.#loop.run(batches, (records) => this.processBatch(records), options.signal);
    }
    return this.#loop.run(
      batches,
      (records) => this.#pipelined(records),
      options.signal,
      () => this.#drain(),
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
    await this.#learnRows(featurized, start);
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
   * With the worker: posts `records` and learns the batch posted before — after posting, so the
   * two overlap, unless a checkpoint is due or an admin command waits: then that batch is learnt
   * first, with the worker at the same point (see the module documentation). A batch short of
   * `fullBatchEvents` is then learnt too: the pipeline runs dry when the input is caught up.
   */
  async #pipelined(records: readonly SourceRecord[]): Promise<void> {
    this.#checkBroken();
    const previous = this.#inFlight;
    // A batch short of full closed on time: nothing waits behind it, so it is learnt now.
    const caughtUp = records.length < (this.#options.fullBatchEvents ?? 1);
    if (previous === null) {
      this.#inFlight = this.#post(records);
      if (caughtUp) await this.#drain();
      return;
    }
    const due = this.#options.checkpoint !== undefined &&
      (this.#options.checkpointDue?.() ?? true);
    if (due || this.#loop.adminPending) {
      this.#inFlight = null;
      await this.#finish(previous);
      this.#inFlight = this.#post(records);
    } else {
      this.#inFlight = this.#post(records);
      await this.#finish(previous);
    }
    if (caughtUp) await this.#drain();
  }

  /** With the worker: learns the batch in flight, if there is one (the pipeline runs dry). */
  async #drain(): Promise<void> {
    const last = this.#inFlight;
    this.#inFlight = null;
    if (last) await this.#finish(last);
  }

  #post(records: readonly SourceRecord[]): InFlight {
    const batch = this.#worker!.featurize(records);
    batch.catch(() => {}); // awaited in #finish; a failure must not go unhandled meanwhile
    return { batch, start: performance.now() };
  }

  async #finish(inFlight: InFlight): Promise<void> {
    const batch = await inFlight.batch;
    const featurized = batch.into(this.#rows);
    this.#counts = batch.counts;
    this.#stores = null;
    await this.#learnRows(featurized, inFlight.start);
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
