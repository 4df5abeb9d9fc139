/**
 * The learn side's per-input-partition view: events learnt per partition
 * ({@linkcode TrainedCounts}, kept in the checkpoint as {@linkcode PartitionCount}s) and, with
 * the ledger's next offsets, the {@linkcode SourceView} of each partition.
 *
 * @module
 */

import type { OffsetLedger } from "./offset_ledger.ts";

/** A count of one input partition. */
export interface PartitionCount {
  /** The input partition. */
  partition: number;
  /** Events learnt from it. */
  events: number;
}

/** What the state covers of one input partition (the learn side's per-partition view). */
export interface SourceView {
  /** The input partition. */
  partition: number;
  /** Events learnt from it; `null` when unknown (a state restored from an older checkpoint). */
  eventsTrained: number | null;
  /** The next offset of it the state covers: every record below was learnt or counted as bad. */
  nextOffset: number;
}

/** Events learnt per input partition, or unknown (restored from a state that did not keep them). */
export class TrainedCounts {
  #trained: Map<number, number> | null;

  /**
   * Counts restored from a state's `trained` (absent: unknown, unless the state learnt no event
   * yet); none to start fresh.
   */
  constructor(trained?: readonly PartitionCount[], eventsTrained = 0) {
    this.#trained = trained === undefined
      ? (eventsTrained === 0 ? new Map() : null)
      : new Map(trained.map((c) => [c.partition, c.events]));
  }

  /** Adds a batch's events learnt per partition (nothing when the counts are unknown). */
  add(batch: ReadonlyMap<number, number>): void {
    if (this.#trained === null) return;
    for (const [p, n] of batch) this.#trained.set(p, (this.#trained.get(p) ?? 0) + n);
  }

  /** Per partition of `ledger`: events learnt and the next offset covered, by partition. */
  sources(ledger: OffsetLedger): SourceView[] {
    return ledger.partitions.map((partition) => ({
      partition,
      eventsTrained: this.#trained === null ? null : this.#trained.get(partition) ?? 0,
      nextOffset: ledger.next(partition),
    }));
  }

  /** The counts by partition, for the state; `undefined` when unknown. */
  toJSON(): PartitionCount[] | undefined {
    if (this.#trained === null) return undefined;
    return [...this.#trained].sort((a, b) => a[0] - b[0]).map(([partition, events]) => ({
      partition,
      events,
    }));
  }
}
