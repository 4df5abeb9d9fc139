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
 * @module
 */

import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET } from "../learn/feature_sets.ts";
import type { LearnerOptions } from "../learn/learner.ts";
import type { Clock } from "../util/clock.ts";
import { type AdminCommand, AdminQueue, type AdminResult } from "./admin_queue.ts";
import type { BrokerView } from "./broker_watch.ts";
import { FeaturizeStage } from "./featurize_stage.ts";
import { LearnStage } from "./learn_stage.ts";
import type { NextOffset } from "./offset_ledger.ts";
import type { BatchOutputs, SourceRecord } from "./records.ts";
import { RowBatch } from "./row_batch.ts";
import type { Snapshot } from "./snapshot.ts";
import { SnapshotPublisher } from "./snapshot_publisher.ts";
import { checkResumeFeatureSet, type TrainerState } from "./trainer_state.ts";

export type { BrokerView } from "./broker_watch.ts";
export type { NextOffset } from "./offset_ledger.ts";
export type { BatchOutputs, DeadLetter, Prediction, SourceRecord } from "./records.ts";
export type { TrainerState } from "./trainer_state.ts";

/** Per-batch facts for the report printer. */
export interface BatchInfo {
  /** Records in the batch, valid and bad, skipped ones excluded. */
  records: number;
  /** Valid events learnt. */
  events: number;
  /** Bad records in this batch. */
  bad: number;
  /** Records skipped because the state already covered them. */
  skipped: number;
  /** Processing time of the batch, ms. */
  durationMs: number;
}

/** Options of {@linkcode Trainer}. */
export interface TrainerOptions {
  /** The topic trained on (for the snapshot). Required. */
  topic: string;
  /**
   * Learner options (mode, hyper-parameters; `store`: the bounds of each partition's session
   * store); only the drift reaction applies when `restore` is given. Default: `{}`.
   */
  learner?: Omit<LearnerOptions, "featureSet">;
  /** The features (`--features`, see `feature_sets.ts`). Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** State to continue from (a checkpoint) of the same feature set. Default: a fresh start. */
  restore?: TrainerState;
  /** Clock for snapshot and drift times. Default: `Date`. */
  clock?: Pick<Clock, "now">;
  /** Commits group offsets after the batch (lag monitoring). Default: none. */
  commit?: (offsets: readonly NextOffset[]) => Promise<void>;
  /** Writes the batch's side outputs and resolves once acknowledged. Default: none. */
  sideOutputs?: (outputs: BatchOutputs) => Promise<void>;
  /** Whether to collect predictions for `sideOutputs`. Default: `false`. */
  collectPredictions?: boolean;
  /**
   * Called after each batch with the full state when a checkpoint may be written; resolves
   * with the checkpoint's time (ms) if one was written. Default: none.
   */
  checkpoint?: (state: () => TrainerState, force: boolean) => Promise<number | null>;
  /** The broker's health and end offsets. Default: always healthy, lag unknown. */
  broker?: () => BrokerView;
  /** Called after every non-empty batch. Default: none. */
  onBatch?: (snapshot: Snapshot, info: BatchInfo) => void;
  /** Sees each batch's rows between the stages (valid only during the call). Default: none. */
  onRows?: (rows: RowBatch) => void;
  /** Points of chart history kept. Default `2000`. */
  historyLimit?: number;
  /** Test hook: called mid-batch (after learning) and before the group-offset commit. */
  crashHook?: (point: "mid-batch" | "before-commit") => void;
}

const HEALTHY: BrokerView = { healthy: true, reason: null, highWatermarks: null };

/** The two stages in one process; see the module documentation. */
export class Trainer {
  #topic: string;
  #options: TrainerOptions;
  #featurize: FeaturizeStage;
  #learn: LearnStage;
  #publisher: SnapshotPublisher;
  #rows: RowBatch;
  #lastCheckpoint: { batchId: number; time: number } | null = null;
  #eventsPerSecond = 0;
  #snapshot: Snapshot;
  #admin = new AdminQueue();
  #broken: Error | null = null;
  /** The offsets the newest checkpoint covers (what may be committed to the group). */
  #durable: NextOffset[] = [];

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
      this.#durable = this.offsets;
    }
    this.#publisher = new SnapshotPublisher({
      topic: options.topic,
      clock: options.clock,
      historyLimit: options.historyLimit,
    });
    this.#snapshot = this.#publish(false);
  }

  /** The latest published snapshot (immutable). */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** The next offset per partition the state covers (where a restart must resume). */
  get offsets(): NextOffset[] {
    return this.#learn.offsets;
  }

  /** Enqueues an admin command; resolves after the trainer carried it out between batches. */
  admin(command: AdminCommand): Promise<AdminResult> {
    return this.#admin.enqueue(command);
  }

  /** The full state, for a checkpoint. */
  state(): TrainerState {
    return { topic: this.#topic, ...this.#learn.state(), featurize: this.#featurize.toJSON() };
  }

  /** Marks that a checkpoint of the current state was written at `time` (ms). */
  markCheckpoint(time: number): void {
    this.#lastCheckpoint = { batchId: this.#learn.batchId, time };
    this.#durable = this.offsets;
  }

  /**
   * Writes a checkpoint of the current state now (when a checkpoint hook is set) and commits
   * its offsets: the last step of a clean shutdown.
   */
  async flush(): Promise<void> {
    if (this.#broken !== null) return;
    if (this.#options.checkpoint && this.#learn.batchId >= 0) {
      const time = await this.#options.checkpoint(() => this.state(), true);
      if (time !== null) this.markCheckpoint(time);
    }
    await this.#commit();
    this.#snapshot = this.#publish(false);
  }

  async #commit(): Promise<void> {
    if (!this.#options.commit) return;
    // With checkpoints, the group may only ever hear offsets a checkpoint covers: a restart
    // then never finds the group ahead of the checkpoint.
    const offsets = this.#options.checkpoint ? this.#durable : this.offsets;
    if (offsets.length === 0) return;
    this.#options.crashHook?.("before-commit");
    await this.#options.commit(offsets);
  }

  /**
   * Consumes micro-batches until they end or `signal` aborts (the batch in progress is
   * finished first). Empty batches refresh health and lag and drain the admin queue.
   */
  async run(
    batches: AsyncIterable<readonly SourceRecord[]>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    try {
      for await (const records of batches) {
        await this.processBatch(records);
        if (options.signal?.aborted) break;
      }
    } finally {
      this.#admin.close("the trainer is stopping");
    }
  }

  /** Processes one micro-batch (see the module documentation for the order of steps). */
  async processBatch(records: readonly SourceRecord[]): Promise<void> {
    if (this.#broken !== null) {
      throw new Error(
        "The trainer cannot go on: a batch's side outputs failed after the model learnt from it; restart from the checkpoint.",
        { cause: this.#broken },
      );
    }
    const start = performance.now();
    const rows = this.#rows;
    rows.clear();
    const featurized = this.#featurize.featurize(records, rows);
    this.#options.onRows?.(rows);
    const sideOutputs = this.#options.sideOutputs;
    const learned = this.#learn.learn(rows, {
      predictions: sideOutputs !== undefined && this.#options.collectPredictions === true,
    });
    if (learned.rows === 0) {
      this.#learn.complete(learned, featurized.skipped);
      await this.#afterBatch(false);
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
    const seconds = (performance.now() - start) / 1000;
    this.#eventsPerSecond = seconds > 0 ? learned.rows / seconds : 0;
    await this.#afterBatch(true);
    this.#options.onBatch?.(this.#snapshot, {
      records: learned.rows,
      events: learned.events,
      bad: learned.bad,
      skipped: featurized.skipped + learned.skipped,
      durationMs: performance.now() - start,
    });
  }

  async #afterBatch(progressed: boolean): Promise<void> {
    if (progressed && this.#options.checkpoint) {
      const time = await this.#options.checkpoint(() => this.state(), false);
      if (time !== null) this.markCheckpoint(time);
    }
    if (progressed) await this.#commit();
    this.#snapshot = this.#publish(progressed);
    if (this.#admin.size > 0) {
      await this.#admin.drain((command) => this.#execute(command));
      this.#snapshot = this.#publish(false);
    }
  }

  #publish(historyPoint: boolean): Snapshot {
    return this.#publisher.publish(this.#learn, {
      broker: this.#options.broker?.() ?? HEALTHY,
      checkpoint: this.#lastCheckpoint,
      eventsPerSecond: this.#eventsPerSecond,
    }, historyPoint);
  }

  async #execute(command: AdminCommand): Promise<AdminResult> {
    const batchId = this.#learn.batchId;
    if (command.type === "reset") {
      this.#learn.reset();
      this.#featurize.reset();
      this.#publisher.reset();
      return {
        ok: true,
        message: `model, features and metrics reset after batch ${batchId}; offsets kept`,
        batchId,
      };
    }
    if (!this.#options.checkpoint) {
      return { ok: false, message: "this trainer has no state directory to checkpoint to" };
    }
    const time = await this.#options.checkpoint(() => this.state(), true);
    if (time === null) return { ok: false, message: "the checkpoint was not written" };
    this.markCheckpoint(time);
    return { ok: true, message: `checkpoint of batch ${batchId} written`, batchId };
  }
}
