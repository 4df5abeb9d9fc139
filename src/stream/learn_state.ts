/**
 * The plain JSON-able state of a `LearnStage` (`learn_stage.ts`), the learn side's part of the
 * checkpoint.
 *
 * @module
 */

import type { BatchLearnerState } from "../learn/batch_learner.ts";
import type { ActionCoreState } from "../learn/action_core.ts";
import type { Target } from "../learn/target.ts";
import type { NextOffset } from "./offset_ledger.ts";
import type { PurchaseAggregate } from "./purchases.ts";
import type { PartitionCount } from "./partition_sources.ts";

/** The plain JSON-able state of a `LearnStage` (part of the checkpoint). */
export interface LearnState {
  /** The id of the feature set the model learns from (see `feature_sets.ts`). */
  featureSet: number;
  /** Id of the last completed batch (`-1` before the first). */
  batchId: number;
  /** Events learnt. */
  eventsTrained: number;
  /** Batches completed. */
  batches: number;
  /** The next source offset per input partition the state covers. */
  offsets: NextOffset[];
  /** The purchase model, its optimizer, standardizer and metrics (`BatchLearner.toJSON`). */
  learner: BatchLearnerState;
  /** Per-user purchase counts and amounts (`PurchaseAggregate.toJSON`). */
  purchases: ReturnType<PurchaseAggregate["toJSON"]>;
  /** Bad records (dead-letter markers) by reason. */
  badRecords: Record<string, number>;
  /** Records and rows skipped because the state already covered them. */
  skippedRecords: number;
  /**
   * Events learnt per input partition, by partition (absent in checkpoints written before it
   * was kept: then unknown).
   */
  trained?: PartitionCount[];
  /** What the stage learns besides the purchase model; absent: `purchase` only. */
  target?: Target;
  /** The next-action model and its metrics (`target: "action"` only). */
  action?: ActionCoreState;
}
