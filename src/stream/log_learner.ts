/**
 * The learn stage fed from the feature log (`learn`, docs/design.md "Scaling out"): per
 * micro-batch of `<topic>.features` records, in log order, the rows they pack (`row_codec.ts`)
 * go through the {@linkcode LearnStage} — de-duplicated by source (the ledger of input
 * partitions: a repeat from a featurizer's replay or handover changes nothing), scored, learnt —
 * and the position in the log moves past the batch. That position, the next offset of the log's
 * one partition, is the **model version**: every replica that has consumed the log up to the same
 * offset holds the same model, bit for bit.
 *
 * The checkpoint (format `clickstream-learn-checkpoint`) holds the learn stage and the position;
 * the seek rule applies to the feature log unchanged (its offsets are the checkpoint's).
 * Nothing but the log changes the model: an admin reset is refused, and so is the `seed` mode
 * (its model depends on batch boundaries, which differ between replicas).
 *
 * @module
 */

import type { BatchLearnerOptions } from "../learn/batch_learner.ts";
import type { AdminCommand, AdminResult } from "./admin_queue.ts";
import type { CheckpointFormat } from "./checkpoint.ts";
import { DurableLoop, type DurableLoopHooks } from "./durable_loop.ts";
import { featureLogTopic } from "./feature_log.ts";
import { featureRows } from "./featurize_stage.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET } from "../learn/feature_sets.ts";
import { FeatureSetMismatchError } from "./trainer_state.ts";
import { LearnStage, type LearnState, type SourceView } from "./learn_stage.ts";
import type { NextOffset } from "./offset_ledger.ts";
import { decodeRows } from "./row_codec.ts";
import { RowBatch } from "./row_batch.ts";
import type { Snapshot } from "./snapshot.ts";
import type { Target } from "../learn/target.ts";
import { MODES, PER_EVENT_MODES } from "../learn/model.ts";

/** What a `learn` checkpoint holds: the learn stage, and where in the feature log it stands. */
export interface LearnerState extends LearnState {
  /** The input topic, whose partitions are the rows' sources. */
  topic: string;
  /** The feature log, and the next offset of its one partition the state covers. */
  featureLog: { topic: string; offset: number };
}

/** `learn`'s checkpoint format: version 2 (binary), and version 1 (JSON, the same state). */
export const LEARNER_CHECKPOINT: CheckpointFormat<LearnerState> = {
  name: "clickstream-learn-checkpoint",
  version: 2,
  reads: [1, 2],
  read: (body) => body as LearnerState,
};

/** One record of the feature log (`ConsumedRecord` fits). */
export interface FeatureLogRecord {
  /** Its offset in the feature log. */
  offset: number;
  /** Its rows, encoded (`row_codec.ts`); `null` is refused (a `FeatureLogRecordError`). */
  value: Uint8Array | null;
}

/** Why `learn` cannot learn in a mode. */
export class LearnModeError extends Error {
  /** The mode refused. */
  readonly mode: string;
  /** Creates the error. */
  constructor(mode: string) {
    super(
      `learn cannot learn in mode "${mode}": its model depends on where batch boundaries fall, and replicas of one feature log cut it into different batches. Use adagrad or ftrl.`,
    );
    this.name = "LearnModeError";
    this.mode = mode;
  }
}

/** A feature-log record that holds no rows: the log was written by something else. */
export class FeatureLogRecordError extends Error {
  /** Its offset in the feature log. */
  readonly offset: number;
  /** Creates the error. */
  constructor(topic: string, offset: number, why: string, options?: ErrorOptions) {
    super(`Cannot learn from ${topic} at offset ${offset}: ${why}`, options);
    this.name = "FeatureLogRecordError";
    this.offset = offset;
  }
}

/** The modes `learn` refuses: those not in {@linkcode PER_EVENT_MODES}. */
export const BATCH_DEPENDENT_MODES: readonly string[] = MODES.filter(
  (m) => !(PER_EVENT_MODES as readonly string[]).includes(m),
);

/** Why `POST /reset` is refused on `learn`. */
export const RESET_REFUSAL =
  "learn does not reset: nothing outside the feature log may change a replica's model (start a replica with a fresh --state-dir to learn from the start)";

/**
 * Options of {@linkcode FeatureLogLearner} (and the hooks of `DurableLoopHooks`: `commit` commits
 * the feature log's group offset; `broker` gives the input topic's end offsets, for the lag).
 */
export interface FeatureLogLearnerOptions extends DurableLoopHooks<LearnerState> {
  /** The input topic (the rows' sources are its partitions). Required. */
  topic: string;
  /** The feature log. Default: `<topic>.features`. */
  featureLog?: string;
  /** What it learns (see `LearnStageOptions.target`). Default `"purchase"`. */
  target?: Target;
  /** Learner options (mode, hyper-parameters, drift); only the drift reaction applies on restore. */
  learner?: Omit<BatchLearnerOptions, "featureSet">;
  /** The features of the log's rows (`--features`). Default: `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** State to continue from (a checkpoint). Default: a fresh start. */
  restore?: LearnerState;
  /**
   * The feature log's end offset now (`null`: not polled yet), for the snapshots' `featureLog`
   * lag. Default: none (no `featureLog`).
   */
  featureLogEnd?: () => number | null;
  /**
   * Rows a batch holds before its buffers grow (they grow on demand; `learn` gives its
   * `--max-batch-events`, up to 1M, so that the first batches do not grow them step by step). Default
   * `10000`.
   */
  capacity?: number;
}

/** See the module documentation. */
export class FeatureLogLearner {
  #o: FeatureLogLearnerOptions;
  #topic: string;
  #log: string;
  #learn: LearnStage;
  #loop: DurableLoop<LearnerState>;
  #rows: RowBatch;
  #position: number;

  /**
   * Creates the learner, fresh or from `restore`.
   *
   * @param options see {@linkcode FeatureLogLearnerOptions}
   * @throws {LearnModeError} for a batch-dependent mode
   * @throws {TypeError} if `restore` is of another topic or feature log
   */
  constructor(options: FeatureLogLearnerOptions) {
    this.#o = options;
    this.#topic = options.topic;
    this.#log = options.featureLog ?? featureLogTopic(options.topic);
    const r = options.restore;
    const mode = r?.learner.model.mode ?? options.learner?.mode;
    if (mode !== undefined && BATCH_DEPENDENT_MODES.includes(mode)) throw new LearnModeError(mode);
    if (r && (r.topic !== this.#topic || r.featureLog?.topic !== this.#log)) {
      throw new TypeError(
        `Cannot resume: the saved state learnt topic "${r.topic}" from "${r.featureLog?.topic}", not "${this.#topic}" from "${this.#log}".`,
      );
    }
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    if (r && r.featureSet !== set.id) {
      throw new FeatureSetMismatchError("the saved state", r.featureSet, set);
    }
    this.#rows = new RowBatch(featureRows(set), { capacity: options.capacity });
    this.#learn = new LearnStage({
      capacity: options.capacity,
      topic: this.#topic,
      featureSet: set,
      learner: options.learner,
      target: options.target,
      restore: r,
      clock: options.clock,
    });
    this.#position = r?.featureLog.offset ?? 0;
    this.#loop = new DurableLoop({
      ...options,
      name: "learner",
      topic: this.#topic,
      learn: this.#learn,
      state: () => this.state(),
      offsets: () => this.offsets,
      resetRefusal: RESET_REFUSAL,
      restored: r ? this.offsets : undefined,
      modelVersion: () => this.#position,
    });
  }

  /** The latest published snapshot (immutable). */
  get snapshot(): Snapshot {
    return this.#loop.snapshot;
  }

  /** The next offset of the feature log the state covers: the model version. */
  get modelVersion(): number {
    return this.#position;
  }

  /** The feature log's offsets the state covers (where a restart must resume). */
  get offsets(): NextOffset[] {
    return [{ topic: this.#log, partition: 0, offset: this.#position }];
  }

  /** Per input partition: events learnt and the next offset covered. */
  get sources(): SourceView[] {
    return this.#learn.sources;
  }

  /** Enqueues an admin command (a checkpoint; a reset is refused). */
  admin(command: AdminCommand): Promise<AdminResult> {
    return this.#loop.admin(command);
  }

  /** The full state, for a checkpoint. */
  state(): LearnerState {
    return {
      topic: this.#topic,
      ...this.#learn.state(),
      featureLog: { topic: this.#log, offset: this.#position },
    };
  }

  /** Marks that a checkpoint of the current state was written at `time` (ms). */
  markCheckpoint(time: number): void {
    this.#loop.markCheckpoint(time);
  }

  /** A checkpoint of the current state now, and its commit: the last step of a clean stop. */
  flush(): Promise<void> {
    return this.#loop.flush();
  }

  /** Consumes micro-batches of the feature log until they end or `signal` aborts. */
  run(
    batches: AsyncIterable<readonly FeatureLogRecord[]>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.#loop.run(batches, (records) => this.processBatch(records), options.signal);
  }

  /**
   * Learns one micro-batch of feature-log records, in log order.
   *
   * @throws {FeatureLogRecordError} for a record that holds no rows of this feature set (the
   *   state is left as before the batch)
   */
  async processBatch(records: readonly FeatureLogRecord[]): Promise<void> {
    if (records.length === 0) {
      await this.#loop.afterBatch(false);
      return;
    }
    const start = performance.now();
    const rows = this.#rows;
    rows.clear();
    let position = this.#position;
    for (const record of records) {
      if (record.value === null) {
        throw new FeatureLogRecordError(this.#log, record.offset, "the record has no value");
      }
      try {
        // The session ids serve only predictions, which `learn` does not make.
        decodeRows(record.value, rows, { sessionIds: false });
      } catch (error) {
        throw new FeatureLogRecordError(this.#log, record.offset, (error as Error).message, {
          cause: error,
        });
      }
      position = Math.max(position, record.offset + 1);
    }
    const learned = this.#learn.learn(rows);
    this.#o.crashHook?.("mid-batch");
    this.#learn.complete(learned);
    this.#position = position;
    await this.#loop.completed(learned, start, learned.skipped);
  }
}
