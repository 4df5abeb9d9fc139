/**
 * The trainer's state as the checkpoint holds it (format version 3): the feature set's id, the
 * learn stage's state (counters, the source-offset ledger, the learner, purchases) and the
 * featurize stage's (the same feature set's id; one session store per input partition, each
 * with its next offset), for one topic.
 *
 * Older formats are migrated on load when they can be:
 * - version 2 had no feature sets: its model and stores are of the `position` set (id 1), and
 *   {@linkcode migrateStateV2} says so; a version-2 state of any other set (which no version
 *   wrote) is refused with a {@linkcode CheckpointMigrationError};
 * - version 1 kept one session store for the whole process. {@linkcode migrateStateV1} turns it
 *   into version 3 when that store can only have served one partition (the checkpoint has
 *   offsets of one partition, or none); one of several partitions cannot be split per partition
 *   and is refused.
 *
 * A state is resumed only with the feature set it was trained with
 * ({@linkcode checkResumeFeatureSet}, a {@linkcode FeatureSetMismatchError} otherwise).
 *
 * @module
 */

import type { FeatureSet } from "../learn/feature_set.ts";
import { describeFeatureSet, featureSetById } from "../learn/feature_sets.ts";
import type { LearnerState } from "../learn/learner.ts";
import { POSITION_FEATURES } from "../learn/position_features.ts";
import type { FeaturizeState } from "./featurize_stage.ts";
import type { LearnState } from "./learn_stage.ts";

/** Everything a checkpoint holds (version 3). */
export interface TrainerState extends LearnState {
  /** The topic this state was trained on. */
  topic: string;
  /** The featurize stage: per input partition, its next offset and session store. */
  featurize: FeaturizeState;
}

/** A version-2 checkpoint body: no feature-set id in the learn stage (it was `position`). */
export interface TrainerStateV2 extends Omit<LearnState, "featureSet"> {
  /** The topic this state was trained on. */
  topic: string;
  /** The featurize stage: per input partition, its next offset and session store. */
  featurize: FeaturizeState;
}

/** A version-1 checkpoint body: one session store (inside the learner) for all partitions. */
export interface TrainerStateV1 extends Omit<LearnState, "learner" | "featureSet"> {
  /** The topic this state was trained on. */
  topic: string;
  /** The learner, with the one session store of all partitions. */
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

/** A state trained with another feature set than the one asked for (`--features`). */
export class FeatureSetMismatchError extends Error {
  /** The id of the state's feature set. */
  readonly saved: number;
  /** The feature set asked for. */
  readonly wanted: FeatureSet;
  /** Creates the error; `where` names the state (e.g. the checkpoint file). */
  constructor(where: string, saved: number, wanted: FeatureSet) {
    const set = featureSetById(saved);
    super(
      `Cannot resume from ${where}: it was trained with feature set ${
        describeFeatureSet(saved)
      }, not ${describeFeatureSet(wanted.id)}. ${
        set === undefined ? "" : `Use --features ${set.name} to continue it, or `
      }${set === undefined ? "Use" : "use"} another --state-dir to train "${wanted.name}" afresh.`,
    );
    this.name = "FeatureSetMismatchError";
    this.saved = saved;
    this.wanted = wanted;
  }
}

/**
 * Refuses to resume `state` with a feature set other than its own.
 * @throws {FeatureSetMismatchError} naming both sets and `--features`
 */
export function checkResumeFeatureSet(state: TrainerState, set: FeatureSet, where: string): void {
  if (state.featureSet !== set.id || state.featurize?.featureSet !== set.id) {
    throw new FeatureSetMismatchError(
      where,
      state.featureSet !== set.id ? state.featureSet : state.featurize?.featureSet,
      set,
    );
  }
}

/**
 * The version-3 state of a version-2 checkpoint body (see the module documentation).
 *
 * @throws {CheckpointMigrationError} when it is not of the `position` feature set, or malformed
 */
export function migrateStateV2(state: TrainerStateV2, file: string): TrainerState {
  const featurize = state?.featurize;
  const names = state?.learner?.model?.featureNames;
  if (featurize === null || typeof featurize !== "object" || !Array.isArray(names)) {
    throw new CheckpointMigrationError(
      file,
      "its version-2 state has no featurize stage or no model",
    );
  }
  const position = POSITION_FEATURES;
  if (featurize.featureSet !== position.id || names.join() !== position.names.join()) {
    throw new CheckpointMigrationError(
      file,
      `it is a version-2 checkpoint (before feature sets) whose features are not the "position" set's (featurize stage: feature set ${featurize.featureSet}; model: ${
        names.join(", ")
      }). Train afresh with another --state-dir.`,
    );
  }
  return { ...state, featureSet: position.id };
}

/**
 * The version-3 state of a version-1 checkpoint body (see the module documentation).
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
  const { sessions, featureSet: _, ...core } = learner;
  return migrateStateV2({
    ...state,
    learner: core,
    featurize: {
      version: 1,
      featureSet: POSITION_FEATURES.id,
      partitions: offsets.map((o) => ({ partition: o.partition, next: o.offset, sessions })),
    },
  }, file);
}
