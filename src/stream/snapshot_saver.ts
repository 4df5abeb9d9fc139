/**
 * When and what the featurizer writes to `<topic>.sessions` (`session_snapshot.ts`): every
 * snapshot interval, once a batch's rows are acknowledged, each held partition's state — but only
 * where the partition moved on since its last snapshot (or since it was given, when its state came
 * from a snapshot or a replay that already covers it).
 *
 * The writing itself is injected (`write`), so this module holds no producer: the featurizer
 * passes one that sends the chunks to the partition, retrying.
 *
 * @module
 */

import type { GroupFeaturizer } from "./group_featurizer.ts";
import { encodeSnapshot, type SnapshotChunk } from "./session_snapshot.ts";

/** Options of {@linkcode SnapshotSaver}. */
export interface SnapshotSaverOptions {
  /** The featurizer whose held partitions are saved. Required. */
  featurizer: Pick<GroupFeaturizer, "partitions" | "next" | "snapshot" | "featureSetId">;
  /** Writes one partition's snapshot chunks to that partition of `<topic>.sessions`. Required. */
  write: (partition: number, chunks: SnapshotChunk[]) => Promise<void>;
  /** How long between snapshots, ms (`--snapshot-interval`). Required. */
  intervalMs: number;
  /** Called once per snapshot written. Default: nothing. */
  onSaved?: (partition: number) => void;
}

/** See the module documentation. */
export class SnapshotSaver {
  #options: SnapshotSaverOptions;
  #last = new Map<number, number>();
  #at = new Map<number, number>();
  #due = Infinity;

  /** A saver whose interval has not started: nothing is due before {@linkcode start}. */
  constructor(options: SnapshotSaverOptions) {
    this.#options = options;
  }

  /** Starts the interval now: the first snapshot is due `intervalMs` from now. */
  start(): void {
    this.#due = performance.now() + this.#options.intervalMs;
  }

  /**
   * Notes that `partitions` were just given with the featurizer's state as it is now: no
   * snapshot of theirs is written until they move past it.
   */
  given(partitions: readonly number[]): void {
    for (const p of partitions) this.#last.set(p, this.#options.featurizer.next(p));
  }

  /** When `partition`'s newest snapshot was written, epoch ms (`undefined`: none yet). */
  savedAt(partition: number): number | undefined {
    return this.#at.get(partition);
  }

  /** Writes the held partitions' snapshots if the interval is up (see the module documentation). */
  async saveIfDue(): Promise<void> {
    if (performance.now() < this.#due) return;
    const { featurizer, intervalMs, write, onSaved } = this.#options;
    this.#due = performance.now() + intervalMs;
    for (const partition of featurizer.partitions) {
      const state = featurizer.snapshot(partition);
      if (state.next <= (this.#last.get(partition) ?? 0)) continue;
      const chunks = await encodeSnapshot(state, featurizer.featureSetId);
      await write(partition, chunks);
      this.#last.set(partition, state.next);
      this.#at.set(partition, Date.now());
      onSaved?.(partition);
    }
  }
}
