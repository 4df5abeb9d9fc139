/**
 * The state of a featurize stage (`featurize_stage.ts`): the feature set's id and, per
 * partition, its next offset and its session store — as JSON (a session snapshot, an old
 * checkpoint) or as the store itself (what a binary checkpoint is written from and restores).
 *
 * @module
 */

import type { SessionStore, SessionStoreState } from "../learn/session_store.ts";

/**
 * One partition's featurize state; `Sessions` narrows its session store's form (the JSON-able
 * one: `SessionStoreState`).
 */
export interface PartitionFeatureState<
  Sessions extends SessionStoreState | SessionStore = SessionStoreState | SessionStore,
> {
  partition: number;
  /** The next offset of the partition this state covers. */
  next: number;
  /**
   * Its session store: as JSON (a session snapshot, a checkpoint before version 4), or the store
   * itself (the state a checkpoint is written from, and a binary checkpoint's, whose restore
   * takes that store over).
   */
  sessions: Sessions;
}

/**
 * The state of a {@linkcode FeaturizeStage}; `Sessions` narrows its session stores' form (see
 * {@linkcode PartitionFeatureState}).
 */
export interface FeaturizeState<
  Sessions extends SessionStoreState | SessionStore = SessionStoreState | SessionStore,
> {
  version: 1;
  /** The id of the feature set the stores serve. */
  featureSet: number;
  /** One entry per partition seen, by partition. */
  partitions: PartitionFeatureState<Sessions>[];
}
