/**
 * The trainer's state as the checkpoint holds it (format version 2): the learn stage's state
 * (counters, the source-offset ledger, the learner, purchases) and the featurize stage's (one
 * session store per input partition, each with its next offset), for one topic.
 *
 * Version 1 kept one session store for the whole process. {@linkcode migrateStateV1} turns such a
 * checkpoint into version 2 when that store can only have served one partition (the checkpoint
 * has offsets of one partition, or none); a version-1 checkpoint of several partitions cannot be
 * split per partition and is refused with a {@linkcode CheckpointMigrationError}.
 *
 * @module
 */

import type { LearnerState } from "../learn/learner.ts";
import type { FeaturizeState } from "./featurize_stage.ts";
import { FEATURE_ROWS } from "./featurize_stage.ts";
import type { LearnState } from "./learn_stage.ts";

/** Everything a checkpoint holds (version 2). */
export interface TrainerState extends LearnState {
  /** The topic this state was trained on. */
  topic: string;
  /** The featurize stage: per input partition, its next offset and session store. */
  featurize: FeaturizeState;
}

/** A version-1 checkpoint body: one session store (inside the learner) for all partitions. */
export interface TrainerStateV1 extends Omit<LearnState, "learner"> {
  topic: string;
  learner: LearnerState;
}

/** A checkpoint of an older format that cannot be carried over; names the file and why. */
export class CheckpointMigrationError extends Error {
  /** The file concerned. */
  readonly file: string;
  /** Creates the error. */
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`Cannot resume from checkpoint ${file}: ${message}`, options);
    this.name = "CheckpointMigrationError";
    this.file = file;
  }
}

/**
 * The version-2 state of a version-1 checkpoint body (see the module documentation).
 *
 * @throws {CheckpointMigrationError} when the state covers several partitions, or is malformed
 */
export function migrateStateV1(state: TrainerStateV1, file: string): TrainerState {
  const offsets = state?.offsets;
  const learner = state?.learner;
  if (!Array.isArray(offsets) || learner === null || typeof learner !== "object") {
    throw new CheckpointMigrationError(file, "its version-1 state has no offsets or no learner");
  }
  if (offsets.length > 1) {
    throw new CheckpointMigrationError(
      file,
      `it was written by a version that kept one session store for all partitions, and it covers ${offsets.length} (${
        offsets.map((o) => o.partition).join(", ")
      }): the store cannot be split into one per partition. Train afresh with another --state-dir.`,
    );
  }
  const { sessions, ...core } = learner;
  return {
    ...state,
    learner: core,
    featurize: {
      version: 1,
      featureSet: FEATURE_ROWS.featureSet,
      partitions: offsets.map((o) => ({ partition: o.partition, next: o.offset, sessions })),
    },
  };
}
