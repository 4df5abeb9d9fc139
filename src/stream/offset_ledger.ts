/**
 * The per-partition offset ledger: for each input partition, the next offset the state covers.
 * A record (or a row, by its source) is new iff its offset is at least its partition's next
 * offset; anything below was already taken into the state and is skipped — which is how a
 * redelivery after a restart, or a repeat from an upstream stage, changes nothing.
 *
 * Advances are staged per batch ({@linkcode OffsetLedger.begin}) and applied only when the batch
 * is done ({@linkcode OffsetLedger.commit}), so that a batch whose side outputs failed leaves the
 * ledger where it was.
 *
 * @module
 */

/** A partition of a topic and the next offset to read from it. */
export interface NextOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The next offset to read (one past the last record the state covers). */
  offset: number;
}

/** Partitions `0 .. RUN_PARTITIONS` have a slot in the run scratch of `LedgerBatch.acceptAll`. */
const RUN_PARTITIONS = 4096;
/** Per partition, the next offset of `acceptAll`'s runs so far (where `runSeen` is 1). */
const runNext = new Float64Array(RUN_PARTITIONS);
/** Per partition, 1 once a run of it came in the current `acceptAll` (0 between calls). */
const runSeen = new Uint8Array(RUN_PARTITIONS);
/** The partitions of `acceptAll`'s runs, in the order they came first. */
const runOrder: number[] = [];

/**
 * The staged advances of one batch over an {@linkcode OffsetLedger}. Rows come in runs of one
 * partition, so the partition of the current run and its next offset are kept in two fields and
 * written to the map of advances only when the run ends (or the advances are read): no map look-up
 * per row. A batch is used synchronously between {@linkcode OffsetLedger.begin} and
 * {@linkcode OffsetLedger.commit}.
 */
export class LedgerBatch {
  #ledger: OffsetLedger;
  #advanced = new Map<number, number>();
  /** The current run's partition (`NaN`: none yet) and its next offset. */
  #partition = NaN;
  #next = 0;
  /** Whether the current run advanced `#next` past what `#advanced` holds. */
  #moved = false;

  /**
   * Creates an empty batch over `ledger`.
   *
   * @param ledger the ledger the batch reads and later advances
   */
  constructor(ledger: OffsetLedger) {
    this.#ledger = ledger;
  }

  /**
   * Whether `offset` of `partition` is new (at or past the next offset, counting this batch's
   * own advances); if so, the partition's next offset becomes `offset + 1` in the batch.
   */
  accept(partition: number, offset: number): boolean {
    if (partition !== this.#partition) {
      this.#flush();
      this.#partition = partition;
      this.#next = this.#advanced.get(partition) ?? this.#ledger.next(partition);
    }
    if (offset < this.#next) return false;
    this.#next = offset + 1;
    this.#moved = true;
    return true;
  }

  /**
   * Whether the sources `[0, n)` of `partitions` and `offsets` are all new, checked run by run
   * (a run: consecutive sources of one partition) by `accept`'s own test: iff no offset is below
   * its partition's next one (the run's start: the partition's next offset; after it, the last
   * offset + 1). If so, the batch moves each partition past its last run's last offset, as
   * {@linkcode LedgerBatch.accept} of each in order would, and returns `true`; else it changes
   * nothing and returns `false` (the caller then takes them one by one).
   */
  acceptAll(partitions: Int32Array, offsets: Float64Array, n: number): boolean {
    this.#flush();
    this.#partition = NaN; // `#next` is read again from `#advanced` at the next `accept`
    const byPartition = this.#acceptRuns(partitions, offsets, n);
    if (byPartition !== undefined) return byPartition;
    // The next offset of each partition these runs moved, in the order they came first (the
    // order in which `accept` would have staged them).
    const runs = new Map<number, number>();
    for (let i = 0; i < n;) {
      const p = partitions[i];
      let last = offsets[i];
      if (last < (runs.get(p) ?? this.#advanced.get(p) ?? this.#ledger.next(p))) return false;
      let e = i + 1;
      for (; e < n && partitions[e] === p; e++) {
        const offset = offsets[e];
        if (offset < last + 1) return false; // `accept`'s test: below the next offset, last + 1
        last = offset;
      }
      runs.set(p, last + 1);
      i = e;
    }
    for (const [p, next] of runs) this.#advanced.set(p, next);
    return true;
  }

  /**
   * `acceptAll`'s test and advances with each partition's next offset in an array indexed by
   * partition instead of a map look-up per run (rows of several partitions interleaved in short
   * runs make a run per few rows); `undefined` when a partition is outside
   * `0 .. RUN_PARTITIONS` (then `acceptAll` uses its map). The same result as the map's.
   */
  #acceptRuns(partitions: Int32Array, offsets: Float64Array, n: number): boolean | undefined {
    const next = runNext, seen = runSeen, order = runOrder;
    order.length = 0;
    let ok = true;
    for (let i = 0; i < n && ok;) {
      const p = partitions[i];
      if (p >>> 0 >= RUN_PARTITIONS) { // checked per run, not per row
        for (const q of order) seen[q] = 0;
        return undefined;
      }
      let last = offsets[i], from = next[p];
      if (seen[p] === 0) { // the first run of `p` in these rows
        from = this.#advanced.get(p) ?? this.#ledger.next(p);
        seen[p] = 1;
        order.push(p);
      }
      if (last < from) ok = false;
      let e = i + 1;
      for (; ok && e < n && partitions[e] === p; e++) {
        const offset = offsets[e];
        if (offset < last + 1) ok = false;
        last = offset;
      }
      next[p] = last + 1;
      i = e;
    }
    for (const p of order) {
      if (ok) this.#advanced.set(p, next[p]);
      seen[p] = 0;
    }
    return ok;
  }

  /** The next offsets this batch moves to, by partition. */
  get advances(): ReadonlyMap<number, number> {
    this.#flush();
    return this.#advanced;
  }

  #flush(): void {
    if (!this.#moved) return;
    this.#advanced.set(this.#partition, this.#next);
    this.#moved = false;
  }
}

/** See the module documentation. */
export class OffsetLedger {
  #next = new Map<number, number>();

  /**
   * Creates a ledger from `[partition, next offset]` pairs.
   *
   * @param entries `[partition, next offset]` pairs to start from. Default: none.
   */
  constructor(entries: Iterable<readonly [number, number]> = []) {
    for (const [partition, offset] of entries) this.#set(partition, offset);
  }

  /** A ledger holding `offsets` (of any one topic). */
  static from(offsets: readonly { partition: number; offset: number }[]): OffsetLedger {
    return new OffsetLedger(offsets.map((o) => [o.partition, o.offset] as const));
  }

  /** The next offset of `partition` (0 for a partition never seen). */
  next(partition: number): number {
    return this.#next.get(partition) ?? 0;
  }

  /** The partitions known. */
  get partitions(): number[] {
    return [...this.#next.keys()].sort((a, b) => a - b);
  }

  /** Forgets `partition` (its next offset is 0 again, as if never seen). */
  forget(partition: number): void {
    this.#next.delete(partition);
  }

  /** Starts a batch of advances. */
  begin(): LedgerBatch {
    return new LedgerBatch(this);
  }

  /** Applies a batch's advances. */
  commit(batch: LedgerBatch): void {
    for (const [partition, offset] of batch.advances) this.#set(partition, offset);
  }

  /** The next offset of every known partition of `topic`, by partition. */
  offsets(topic: string): NextOffset[] {
    return this.partitions.map((partition) => ({
      topic,
      partition,
      offset: this.#next.get(partition)!,
    }));
  }

  /** Records between these offsets and the given end offsets, summed (`NaN` when unknown). */
  lag(highWatermarks: ReadonlyMap<number, number> | null): number {
    if (highWatermarks === null) return NaN;
    let lag = 0;
    for (const [partition, high] of highWatermarks) {
      lag += Math.max(0, high - this.next(partition));
    }
    return lag;
  }

  #set(partition: number, offset: number): void {
    if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(offset) || offset < 0) {
      throw new RangeError(
        `Cannot record offset ${offset} of partition ${partition}: expected integers ≥ 0.`,
      );
    }
    this.#next.set(partition, offset);
  }
}
