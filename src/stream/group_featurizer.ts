/**
 * The featurize stage as one member of a consumer group (`featurize`, docs/design.md "Scaling
 * out"): which partitions this process holds, where each must be read from, and which of its rows
 * go to the feature log.
 *
 * A row is a pure function of its partition's records up to it (per-partition session state,
 * `featurize_stage.ts`). So a process that is given a partition it holds no state for rebuilds
 * that state by reading the partition **from its beginning**, and emits only the rows of offsets
 * at or past the group's **committed** offset: those below it are already in the log, since
 * `featurize` commits an offset only after the rows below it were acknowledged. What it emits
 * from there equals what the previous owner would have emitted.
 *
 * On every assignment ({@linkcode GroupFeaturizer.assign}), for each partition:
 * - **revoked** (held, no longer assigned): its state is dropped at once; records of it still in
 *   the batch in progress are dropped, not emitted;
 * - **fresh** (assigned, not held): a new state, read from the partition's first offset (`low`),
 *   or — given a session snapshot at or past `low` — the snapshot's state, read from its next
 *   offset; rows below the committed offset suppressed (featurized, not emitted); records of it
 *   handed out before this assignment (an earlier ownership's) are dropped;
 * - **kept** (held, still assigned): its state goes on, read from its next offset (the group may
 *   have moved on while this process was away: rows below the committed offset are suppressed).
 *
 * The position at which an assignment took effect is a count of the records handed out so far
 * (`counted_source.ts`), so records delivered before it are told from those after.
 *
 * Commits ({@linkcode GroupFeaturizer.commitOffsets}) are each held partition's next offset, only
 * moving forward, to be committed once the batch's rows and dead letters are acknowledged.
 *
 * @module
 */

import type { SessionStoreOptions } from "../learn/session_store.ts";
import {
  type FeaturizeResult,
  FeaturizeStage,
  type PartitionFeatureState,
} from "./featurize_stage.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import type { SourceRecord } from "./records.ts";
import { RowBatch, type RowSchema } from "./row_batch.ts";

/** One partition of a new assignment, as the featurizer places it. */
export interface AssignedPartition {
  /** The partition of the topic. */
  partition: number;
  /** The partition's first offset in the log (its log start). */
  low: number;
  /** The group's committed offset; negative when there is none. */
  committed: number;
  /**
   * The partition's newest session snapshot (`session_snapshot.ts`), if any: a fresh partition
   * is then read from the snapshot's next offset, not from `low`. Ignored for a partition
   * already held, and for a snapshot below `low` (its records are gone).
   */
  snapshot?: PartitionFeatureState;
}

/** Where to read a partition from. */
export interface PartitionSeek {
  /** The partition of the topic. */
  partition: number;
  /** The next offset to read from it (for a commit: one past the last record featurized). */
  offset: number;
}

/** What featurizing a batch as a group member gave. */
export interface GroupFeaturizeResult extends FeaturizeResult {
  /** Rows written to the output (to be emitted). */
  emitted: number;
  /** Rows featurized to rebuild session state but not emitted: the log has them already. */
  suppressed: number;
  /** Records of partitions not held, or of an ownership before the current one: ignored. */
  dropped: number;
}

/** One held partition. */
interface Held {
  /** Rows of offsets below this are in the log already. */
  suppressBelow: number;
  /** Records of it handed out before this stream position are an earlier ownership's. */
  from: number;
  /** The group's committed offset as far as this process knows (-1: none). */
  committed: number;
}

/** Options of {@linkcode GroupFeaturizer}. */
export interface GroupFeaturizerOptions {
  /** Bounds of each partition's session store (see `SessionStoreOptions` for defaults). */
  sessions?: SessionStoreOptions;
  /** The features (`--features`). Default: `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
}

function offsetOf(name: string, value: number, partition: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(
      `Cannot assign partition ${partition}: ${name} ${value} is not an integer.`,
    );
  }
  return value;
}

/** See the module documentation. */
export class GroupFeaturizer {
  #stage: FeaturizeStage;
  #held = new Map<number, Held>();
  #scratch: RowBatch;
  #replay: SourceRecord[] = [];
  #emit: SourceRecord[] = [];

  /**
   * Creates a featurizer holding no partition yet.
   *
   * @param options see {@linkcode GroupFeaturizerOptions}
   */
  constructor(options: GroupFeaturizerOptions = {}) {
    this.#stage = new FeaturizeStage({
      sessions: options.sessions,
      featureSet: options.featureSet,
    });
    this.#scratch = new RowBatch(this.#stage.rows);
  }

  /** The shape of the rows this featurizer writes. */
  get rows(): RowSchema {
    return this.#stage.rows;
  }

  /** The partitions held, ascending. */
  get partitions(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  /** The next offset of `partition` its state covers (0 when not held or not begun). */
  next(partition: number): number {
    return this.#stage.next(partition);
  }

  /** The offset below which `partition`'s rows are suppressed, or `undefined` when not held. */
  suppressBelow(partition: number): number | undefined {
    return this.#held.get(partition)?.suppressBelow;
  }

  /**
   * Takes a new assignment, effective at stream position `position` (records handed out so
   * far), and returns where to read each assigned partition from (see the module
   * documentation).
   *
   * @throws {RangeError} on an offset or position that is not an integer
   */
  assign(partitions: readonly AssignedPartition[], position: number): PartitionSeek[] {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new RangeError(
        `Cannot assign at stream position ${position}: expected an integer ≥ 0.`,
      );
    }
    const assigned = new Set(partitions.map((a) => a.partition));
    for (const partition of [...this.#held.keys()]) {
      if (assigned.has(partition)) continue;
      this.#held.delete(partition);
      this.#stage.drop(partition);
    }
    const seeks: PartitionSeek[] = [];
    for (const a of partitions) {
      const low = offsetOf("low offset", a.low, a.partition);
      const committed = Math.max(-1, offsetOf("committed offset", a.committed, a.partition));
      const held = this.#held.get(a.partition);
      if (held !== undefined) {
        held.committed = Math.max(held.committed, committed);
        held.suppressBelow = Math.max(held.suppressBelow, committed);
        seeks.push({
          partition: a.partition,
          offset: Math.max(low, this.#stage.next(a.partition)),
        });
        continue;
      }
      this.#stage.drop(a.partition);
      this.#held.set(a.partition, {
        suppressBelow: Math.max(0, committed),
        from: position,
        committed,
      });
      const snap = a.snapshot;
      if (snap !== undefined && snap.partition !== a.partition) {
        throw new RangeError(
          `Cannot assign partition ${a.partition} with the snapshot of partition ${snap.partition}.`,
        );
      }
      if (snap !== undefined && offsetOf("snapshot offset", snap.next, a.partition) >= low) {
        this.#stage.restorePartition(snap);
        seeks.push({ partition: a.partition, offset: snap.next });
        continue;
      }
      seeks.push({ partition: a.partition, offset: low });
    }
    return seeks;
  }

  /**
   * Featurizes `records`, the first of which is at stream position `position`: the held
   * partitions' rows to emit are appended to `out` (dead letters among them as marker rows,
   * and returned), suppressed rows only update the state, other records are dropped.
   *
   * @throws {RangeError} if `out` is not of the featurize stage's feature set
   */
  featurize(
    records: readonly SourceRecord[],
    position: number,
    out: RowBatch,
  ): GroupFeaturizeResult {
    const replay = this.#replay, emit = this.#emit;
    replay.length = 0;
    emit.length = 0;
    let dropped = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const held = this.#held.get(record.partition);
      if (held === undefined || position + i < held.from) {
        dropped++;
        continue;
      }
      (record.offset < held.suppressBelow ? replay : emit).push(record);
    }
    // Per partition, every replayed record comes before every emitted one (offsets rise within
    // a partition and the bound is fixed), so the two passes keep each partition's order.
    this.#scratch.clear();
    const replayed = this.#stage.featurize(replay, this.#scratch);
    const before = out.length;
    const result = this.#stage.featurize(emit, out);
    replay.length = 0;
    emit.length = 0;
    return {
      skipped: replayed.skipped + result.skipped,
      deadLetters: result.deadLetters,
      emitted: out.length - before,
      suppressed: this.#scratch.length,
      dropped,
    };
  }

  /**
   * The state of held `partition` for a session snapshot: next offset and session store (the
   * store itself, valid until the next batch).
   */
  snapshot(partition: number): PartitionFeatureState {
    return this.#stage.livePartitionState(partition);
  }

  /** The id of the feature set the rows and snapshots are of. */
  get featureSetId(): number {
    return this.#stage.featureSet.id;
  }

  /**
   * What may be committed once everything featurized so far is acknowledged: each held
   * partition's next offset, where it is past the group's committed one.
   */
  commitOffsets(): PartitionSeek[] {
    const out: PartitionSeek[] = [];
    for (const partition of this.partitions) {
      const next = this.#stage.next(partition);
      if (next > this.#held.get(partition)!.committed) out.push({ partition, offset: next });
    }
    return out;
  }

  /** Records that `offsets` were committed to the group. */
  committed(offsets: readonly PartitionSeek[]): void {
    for (const o of offsets) {
      const held = this.#held.get(o.partition);
      if (held !== undefined) held.committed = Math.max(held.committed, o.offset);
    }
  }
}
