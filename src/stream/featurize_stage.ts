/**
 * The featurize stage: turns the records of each input partition into rows (`row_batch.ts`),
 * in order. Per record: skip it if its partition's state already covers its offset; decode and
 * validate it; for a valid event write an event row — point-in-time features from its session's
 * history in **its partition's own session store**, then record it there — and for a bad one a
 * dead-letter marker row with the reason, and the record for the dead-letter queue.
 *
 * Each partition has its own store, with its own event-time watermark, idle expiry and cap, so
 * a row depends only on its own partition's records up to it — not on which other partitions
 * this process owns, nor on how their records interleave with its own. The stage computes one
 * feature set (`--features`, see `feature_sets.ts`) and its rows carry that set's id. Its state
 * (the feature set's id; per partition: the next offset and the session store) is plain JSON
 * for the checkpoint.
 *
 * Decoding is the byte decoder's (`src/events/byte_decoder.ts`): a batch's values go into one
 * reusable {@linkcode DecodedBatch}, {@linkcode DECODE_CHUNK} records at a time (their value views
 * are made per chunk and die young: docs/design.md "What a record allocates"), the features are
 * computed from its columns through one reusable {@linkcode DecodedEvent} view, and each
 * session is found in its store by its id's bytes and hash (`SessionStore.lookupKey`) — no
 * object per event but the value's view, no JSON text; records the fast path declines take the
 * full JSON + zod path, whose `EventValidationError`s are the dead letters' errors, exactly as
 * before. A row's session id is the string its store keeps for the
 * session, read once on the session's first event. A set's hashed url feature is hashed from the
 * url's bytes in the record (`hashUrlBytes`), no string either.
 *
 * @module
 */

import { ACTION_PURCHASE_CODE, DecodedBatch, ROW_INVALID } from "../events/byte_decoder.ts";
import { DecodedEvent } from "../events/decoded_event.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET, describeFeatureSet } from "../learn/feature_sets.ts";
import { Featurizer, type FeaturizerOptions } from "../learn/features.ts";
import {
  SessionStore,
  type SessionStoreOptions,
  type SessionStoreState,
} from "../learn/session_store.ts";
import { restoreSessions } from "../learn/session_store_codec.ts";
import { hashUrlBytes, urlBucket, urlSign } from "../learn/url_hash.ts";
import { OffsetLedger } from "./offset_ledger.ts";
import { type IndexedRecord, PackedFresh, type PackedInput } from "./packed_input.ts";
import type { DeadLetter, SourceRecord } from "./records.ts";
import type { SessionCounts } from "./snapshot.ts";
import { reasonCode, type RowBatch, type RowSchema } from "./row_batch.ts";

import type { FeaturizeState, PartitionFeatureState } from "./featurize_state.ts";

export type { FeaturizeState, IndexedRecord, PackedInput, PartitionFeatureState };

/** What the decoded batch is left with between batches: no values. */
const NO_VALUES: readonly Uint8Array[] = Object.freeze([]);

/**
 * How many records the featurize stage decodes at a time: their value views are alive together,
 * so few enough that they die in the young generation (a fraction of a semi-space).
 */
export const DECODE_CHUNK = 512;

/**
 * The rows a featurize stage of `featureSet` writes (default `DEFAULT_FEATURE_SET`): its id, its
 * dense width and its hashed url buckets as the sparse width.
 */
export function featureRows(featureSet: FeatureSet = DEFAULT_FEATURE_SET): RowSchema {
  return {
    featureSet: featureSet.id,
    denseWidth: featureSet.width,
    sparseWidth: featureSet.urlBuckets ?? 0,
  };
}

/** What featurizing a batch gave besides its rows. */
export interface FeaturizeResult {
  /** Records skipped because the state already covered them. */
  skipped: number;
  /** The bad records, for the dead-letter queue (their marker rows are in the batch). */
  deadLetters: DeadLetter[];
}

/** Options of {@linkcode FeaturizeStage}. */
export interface FeaturizeStageOptions {
  /** The features to compute. Default `DEFAULT_FEATURE_SET` (see `feature_sets.ts`). */
  featureSet?: FeatureSet;
  /**
   * Bounds of each partition's session store (see `SessionStoreOptions` for defaults). The bounds
   * given here also replace those saved in a restored state (a lower cap or a shorter idle time
   * takes effect at the partition's next event, deterministically).
   */
  sessions?: SessionStoreOptions;
  /** State to continue from (a checkpoint). Default: a fresh start. */
  restore?: FeaturizeState;
  /**
   * Whether rows get their session ids (a string per session, `rows.sessionId`); else they keep
   * `""` (the featurize worker when the learn side reads no ids). Default `true`.
   */
  sessionIds?: boolean;
}

/** See the module documentation. */
export class FeaturizeStage {
  /** The feature set this stage computes. */
  readonly featureSet: FeatureSet;
  /** The schema of the rows it writes ({@linkcode featureRows}). */
  readonly rows: RowSchema;
  #options: FeaturizerOptions;
  #bounds: SessionStoreOptions;
  #featurizers = new Map<number, Featurizer>();
  #ledger: OffsetLedger;
  #sessionIds: boolean;
  #decoded = new DecodedBatch();
  #event = new DecodedEvent(this.#decoded);
  /** A chunk's partitions and offsets ({@linkcode FeaturizeStage.featurize}'s scratch). */
  #partition = new Int32Array(DECODE_CHUNK);
  #offset = new Float64Array(DECODE_CHUNK);
  /** The records of a packed batch not covered yet (reused). */
  #fresh = new PackedFresh();
  /** The featurizer of the partition of the last row written (within one call). */
  #last: Featurizer | undefined = undefined;
  #lastPartition = -1;

  /**
   * @param options see {@linkcode FeaturizeStageOptions}
   * @throws {TypeError} if the state to restore is not a featurize state of this feature set
   */
  constructor(options: FeaturizeStageOptions = {}) {
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    this.featureSet = set;
    this.rows = featureRows(set);
    this.#options = { ...options.sessions, featureSet: set };
    this.#bounds = { ...options.sessions };
    this.#sessionIds = options.sessionIds ?? true;
    const r = options.restore;
    if (r === undefined) {
      this.#ledger = new OffsetLedger();
      return;
    }
    if (r === null || typeof r !== "object" || r.version !== 1 || !Array.isArray(r.partitions)) {
      throw new TypeError("Cannot restore the featurize stage: not a version-1 featurize state.");
    }
    if (r.featureSet !== set.id) {
      throw new TypeError(
        `Cannot restore the featurize stage: its session stores serve feature set ${
          describeFeatureSet(r.featureSet)
        }, this stage computes ${describeFeatureSet(set.id)}.`,
      );
    }
    this.#ledger = new OffsetLedger(r.partitions.map((p) => [p.partition, p.next] as const));
    for (const p of r.partitions) {
      this.#featurizers.set(
        p.partition,
        new Featurizer({ featureSet: set, store: this.#restoreStore(p.sessions) }),
      );
    }
  }

  /** The featurizer (and session store) of `partition`, created on first use. */
  partition(partition: number): Featurizer {
    let f = this.#featurizers.get(partition);
    if (f === undefined) {
      f = new Featurizer(this.#options);
      this.#featurizers.set(partition, f);
    }
    return f;
  }

  /** The session stores' counts, summed over the partitions. */
  sessionCounts(): SessionCounts {
    const counts = { live: 0, expired: 0, evicted: 0 };
    for (const f of this.#featurizers.values()) {
      counts.live += f.store.size;
      counts.expired += f.store.expired;
      counts.evicted += f.store.evicted;
    }
    return counts;
  }

  /** The partitions with state, ascending. */
  get partitions(): number[] {
    return [...new Set([...this.#featurizers.keys(), ...this.#ledger.partitions])]
      .sort((a, b) => a - b);
  }

  /** The next offset of `partition` this stage covers (0 when never seen). */
  next(partition: number): number {
    return this.#ledger.next(partition);
  }

  /**
   * Appends to `rows` one row per record not yet covered, in order (see the module
   * documentation), and moves each partition's next offset past it.
   *
   * @throws {RangeError} if `rows` is not of this stage's feature set
   */
  featurize(records: readonly SourceRecord[], rows: RowBatch): FeaturizeResult {
    this.#check(rows);
    this.#last = undefined;
    const batch = this.#ledger.begin();
    // The records not covered yet: `records` itself unless one is (no copy of the batch).
    let fresh: readonly SourceRecord[] = records;
    let kept: SourceRecord[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const accepted = batch.accept(record.partition, record.offset);
      if (kept !== null) {
        if (accepted) kept.push(record);
      } else if (!accepted) kept = records.slice(0, i);
    }
    this.#ledger.commit(batch);
    if (kept !== null) fresh = kept;
    const deadLetters: DeadLetter[] = [];
    const partition = this.#partition, offset = this.#offset;
    // A chunk of records at a time: their value views (a `ViewRecord` keeps none) are made
    // here and let go after the chunk, so that few are alive at once and they die young.
    for (let from = 0; from < fresh.length; from += DECODE_CHUNK) {
      const n = Math.min(DECODE_CHUNK, fresh.length - from);
      // The decoded batch refers to these values (its offsets point into them) until the next
      // decode; nothing modifies them meanwhile.
      const values: (Uint8Array | null)[] = [];
      for (let i = 0; i < n; i++) {
        const record = fresh[from + i];
        values.push(record.value);
        partition[i] = record.partition;
        offset[i] = record.offset;
      }
      this.#decoded.decode(values);
      this.#rowsOf(n, partition, offset, 0, rows, deadLetters, fresh, from);
    }
    // Let the last chunk's values go now, not at the next batch's decode: held until then they
    // would outlive a scavenge or two and be promoted (docs/design.md "What a record allocates").
    this.#decoded.decode(NO_VALUES);
    return { skipped: records.length - fresh.length, deadLetters };
  }

  /**
   * {@linkcode FeaturizeStage.featurize} of a batch as columns over one buffer (the featurize
   * worker's: {@linkcode PackedInput}), the same rows for the same records; no object nor view
   * is made per record (but for a bad one, whose dead letter is an {@linkcode IndexedRecord}).
   *
   * @throws {RangeError} if `rows` is not of this stage's feature set
   */
  featurizePacked(input: PackedInput, rows: RowBatch): FeaturizeResult {
    this.#check(rows);
    this.#last = undefined;
    const batch = this.#ledger.begin();
    const fresh = this.#fresh.take(input, batch);
    this.#ledger.commit(batch);
    const deadLetters: DeadLetter[] = [];
    for (let from = 0; from < fresh.n; from += DECODE_CHUNK) {
      const m = Math.min(DECODE_CHUNK, fresh.n - from);
      this.#decoded.decodeIn(input.values, fresh.start, fresh.lengths, from, m);
      this.#rowsOf(m, fresh.partition, fresh.offset, from, rows, deadLetters, null, from);
    }
    const skipped = input.n - fresh.n;
    fresh.release();
    this.#decoded.decode(NO_VALUES);
    return { skipped, deadLetters };
  }

  #check(rows: RowBatch): void {
    if (!rows.matches(this.rows)) {
      throw new RangeError(
        `Cannot featurize into rows of feature set ${rows.featureSet} (width ${rows.denseWidth}): this stage writes feature set ${this.featureSet.id} ("${this.featureSet.name}", width ${this.featureSet.width}).`,
      );
    }
  }

  /**
   * Writes the rows of the `n` records just decoded (rows `0 .. n - 1` of the decoded batch):
   * record `i`'s partition and offset are `partition[base + i]`, `offset[base + i]`; a bad one's
   * record is `records[from + i]`, or (`records` null) made from the packed input.
   */
  #rowsOf(
    n: number,
    partition: Int32Array,
    offset: Float64Array,
    base: number,
    rows: RowBatch,
    deadLetters: DeadLetter[],
    records: readonly SourceRecord[] | null,
    from: number,
  ): void {
    const decoded = this.#decoded, e = this.#event;
    const status = decoded.status, amount = decoded.amount, actions = decoded.action;
    const sessionStart = decoded.sessionStart, sessionLength = decoded.sessionLength;
    const sessionHash = decoded.sessionHash;
    const urlStart = decoded.urlStart, urlLength = decoded.urlLength;
    const buckets = rows.sparseWidth, width = rows.denseWidth, ids = this.#sessionIds;
    let f = this.#last, fp = this.#lastPartition;
    for (let i = 0; i < n; i++) {
      const p = partition[base + i], o = offset[base + i];
      if (status[i] === ROW_INVALID) {
        const error = decoded.error(i)!;
        rows.addDeadLetter(p, o, reasonCode(error.reason));
        const record = records !== null ? records[from + i] : this.#fresh.record(from + i);
        deadLetters.push({ record, error });
        continue;
      }
      e.at(i);
      const action = actions[i];
      const row = rows.addEvent(
        p,
        o,
        action,
        action === ACTION_PURCHASE_CODE ? amount[i] : 0,
        e.user_id,
        "", // set below from the session store: no string per event
        e.timestamp,
      );
      if (f === undefined || fp !== p) {
        fp = p;
        f = this.partition(fp);
      }
      const bytes = decoded.bytes(i), start = sessionStart[i], length = sessionLength[i];
      const us = urlStart[i], ul = urlLength[i], hash = sessionHash[i];
      f.featurizeKey(e, bytes, start, length, hash, rows.dense, row * width, us, ul);
      if (ids) rows.sessionId[row] = f.observeKey(e, bytes, start, length, hash, us, ul);
      else f.observeKey(e, bytes, start, length, hash, us, ul, false);
      if (buckets > 0) {
        const h = hashUrlBytes(bytes, us, ul);
        rows.addSparse(urlBucket(h, buckets), urlSign(h));
      }
    }
    this.#last = f;
    this.#lastPartition = fp;
  }

  /**
   * Forgets `partition` altogether — its sessions and its next offset — as when the partition
   * goes to another process: what this stage would write for it afterwards starts afresh.
   */
  drop(partition: number): void {
    this.#featurizers.delete(partition);
    this.#ledger.forget(partition);
  }

  /** Forgets every partition's sessions (an admin reset); the offsets are kept. */
  reset(): void {
    this.#featurizers.clear();
  }

  /** The plain JSON-able state of `partition` alone: its next offset and session store. */
  partitionState(partition: number): PartitionFeatureState<SessionStoreState> {
    return {
      partition,
      next: this.#ledger.next(partition),
      sessions: (this.#featurizers.get(partition) ?? new Featurizer(this.#options)).toJSON(),
    };
  }

  /**
   * Replaces the state of `state.partition` with `state` (a session snapshot's, of this
   * stage's feature set): what it writes next for that partition goes on from there.
   */
  restorePartition(state: PartitionFeatureState): void {
    this.drop(state.partition);
    const store = this.#restoreStore(state.sessions);
    this.#featurizers.set(state.partition, new Featurizer({ featureSet: this.featureSet, store }));
    const batch = this.#ledger.begin();
    if (state.next > 0) batch.accept(state.partition, state.next - 1);
    this.#ledger.commit(batch);
  }

  /**
   * A saved session store (as JSON, or a store a binary checkpoint hands over), under this
   * stage's bounds where they were given.
   */
  #restoreStore(sessions: SessionStoreState | SessionStore): SessionStore {
    const store = restoreSessions(sessions, this.featureSet.layout);
    store.setBounds(this.#bounds);
    return store;
  }

  /**
   * The state with each partition's session store itself, not a copy (what a checkpoint streams
   * from, `checkpoint_codec.ts`): valid until the next batch. Partitions ascending.
   */
  state(): FeaturizeState<SessionStore> {
    return {
      version: 1,
      featureSet: this.featureSet.id,
      partitions: this.partitions.map((partition) => this.livePartitionState(partition)),
    };
  }

  /**
   * The state of `partition` alone with its session store itself, not a copy (what a session
   * snapshot is encoded from): valid until the next batch.
   */
  livePartitionState(partition: number): PartitionFeatureState<SessionStore> {
    return {
      partition,
      next: this.#ledger.next(partition),
      sessions: (this.#featurizers.get(partition) ?? new Featurizer(this.#options)).store,
    };
  }

  /** The plain JSON-able state, partitions ascending. */
  toJSON(): FeaturizeState<SessionStoreState> {
    return {
      version: 1,
      featureSet: this.featureSet.id,
      partitions: this.partitions.map((partition) => ({
        partition,
        next: this.#ledger.next(partition),
        sessions: (this.#featurizers.get(partition) ?? new Featurizer(this.#options)).toJSON(),
      })),
    };
  }
}
