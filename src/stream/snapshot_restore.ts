/**
 * Restoring a featurizer's freshly given partitions from `<topic>.sessions` on an assignment:
 * for each, the newest complete snapshot the {@linkcode SnapshotFollower} finds within a bound,
 * kept only when it is of the featurizer's feature set. A partition left out (none found, not read
 * in time, another feature set) is replayed from its start, which is slower but as correct; each
 * case is reported by a line saying why.
 *
 * @module
 */

import type { PartitionFeatureState } from "./featurize_stage.ts";
import type { SnapshotFollower } from "./snapshot_follower.ts";

/** Options of {@linkcode restoreSnapshots}. */
export interface RestoreSnapshotsOptions {
  /** The follower reading `<topic>.sessions`. Required. */
  follower: Pick<SnapshotFollower, "restore">;
  /** The `<topic>.sessions` topic, named in the report lines. Required. */
  topic: string;
  /** The partitions given afresh. Required. */
  partitions: readonly number[];
  /** Each partition's end offset of `<topic>.sessions` now (absent: `0`). Required. */
  ends: ReadonlyMap<number, number>;
  /** The featurizer's feature set id; a snapshot of another is not used. Required. */
  featureSetId: number;
  /** How long to wait for each partition's snapshots to be read, ms. Required. */
  waitMs: number;
  /** Gives up waiting when aborted. Required. */
  signal: AbortSignal;
  /** Report lines. Required. */
  log: (line: string) => void;
  /** Called as each partition's snapshot is taken, before the line saying so. Default: nothing. */
  onRestored?: (partition: number) => void;
}

/** Each restorable partition's state, by partition (see the module documentation). */
export async function restoreSnapshots(
  options: RestoreSnapshotsOptions,
): Promise<Map<number, PartitionFeatureState>> {
  const { follower, topic, featureSetId, log } = options;
  const snapshots = new Map<number, PartitionFeatureState>();
  for (const partition of options.partitions) {
    const started = performance.now();
    const found = await follower.restore(
      partition,
      options.ends.get(partition) ?? 0,
      options.waitMs,
      options.signal,
    );
    const snap = found.snapshot;
    if (snap === undefined) {
      if (!found.caughtUp) {
        log(
          `warning: ${topic} partition ${partition} not read in time; replaying it from its start`,
        );
      }
      continue;
    }
    if (snap.state.featureSet !== featureSetId) {
      log(
        `warning: the snapshot of partition ${partition} is of feature set ${snap.state.featureSet}, not ${featureSetId}; replaying it from its start`,
      );
      continue;
    }
    snapshots.set(partition, snap.state.partitions[0]);
    options.onRestored?.(partition);
    log(
      `restored partition ${partition} from its snapshot at offset ${snap.offset} (${snap.bytes} bytes, ${
        Math.round(performance.now() - started)
      } ms)`,
    );
  }
  return snapshots;
}
