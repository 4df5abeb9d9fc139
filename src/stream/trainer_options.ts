/**
 * The options of the trainer (`trainer.ts`): what it trains on and with, the state it resumes
 * from, its side outputs and probes, and how its featurize worker is run.
 *
 * @module
 */

import type { FeatureSet } from "../learn/feature_set.ts";
import type { LearnerOptions } from "../learn/learner.ts";
import type { Target } from "../learn/target.ts";
import type { DurableLoopHooks } from "./durable_loop.ts";
import type { BatchOutputs } from "./records.ts";
import type { RowBatch } from "./row_batch.ts";
import type { TrainerState } from "./trainer_state.ts";
import type { TrainerStats } from "./trainer_stats.ts";

/** Options of {@linkcode Trainer} (and the hooks of `DurableLoopHooks`). */
export interface TrainerOptions extends DurableLoopHooks<TrainerState> {
  /** The topic trained on (for the snapshot). Required. */
  topic: string;
  /** What it learns (see `LearnStageOptions.target`). Default `"purchase"`. */
  target?: Target;
  /**
   * Learner options (mode, hyper-parameters; `store`: the bounds of each partition's session
   * store); only the drift reaction applies when `restore` is given. Default: `{}`.
   */
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
   * Featurize in a Web Worker beside the learn stage, the two overlapping (`trainer.ts`); call `Trainer.close` at the end. Default `false`.
   */
  featurizeWorker?: boolean;
  /**
   * Whether an unforced checkpoint would be written now (the throttle's `due`): with the worker,
   * the pipeline runs dry before such a batch. Default: always, when there is a `checkpoint`.
   */
  checkpointDue?: () => boolean;
  /**
   * With the worker: the most batches posted to it and not learnt yet between two batches (a
   * batch is posted, then the oldest beyond this many learnt while the worker goes on).
   * Default `2`.
   */
  maxInFlight?: number;
  /** Collects where the batches' time goes (`trainer_stats.ts`). Default: none. */
  stats?: TrainerStats;
}
