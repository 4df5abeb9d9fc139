/**
 * The row: what the featurize stage hands the learn stage, one per input record, in the
 * record's order. A {@linkcode RowBatch} holds many rows column by column in typed arrays
 * (reused from batch to batch: a steady stream allocates nothing but the session-id strings),
 * ready to be packed into bytes as they are.
 *
 * Each row is either an **event** — its feature values, its action class, its amount, user id,
 * session id and event time — or a **dead-letter marker** for a record that is not a valid
 * event, with the reason, so that the learn stage counts bad records without seeing them. Both
 * kinds carry their source: the input partition and offset, by which the learn stage
 * de-duplicates (a row is accepted iff its offset is at least the next expected one of its
 * partition).
 *
 * Self-describing: the batch names its feature set (`featureSet`, a set's id, see
 * `src/learn/feature_sets.ts`) and
 * widths — `denseWidth` values per row in `dense` (row-major), and a sparse part of
 * `(index, value)` pairs with per-row extents (`sparseEnd`), whose index space is
 * `sparseWidth` wide (a feature set's hashed url buckets, `src/learn/url_hash.ts`; empty for a
 * set without). The target is the action class (an index into `ACTIONS`),
 * not a 0/1 label: the purchase label is `action === ACTION_PURCHASE`. Features can be added
 * and a multi-class target learnt without changing the shape.
 *
 * `truth` holds the true purchase probability of an event when its source knows it (the
 * generator, in-process), `NaN` otherwise — always `NaN` for records from Kafka: it feeds the
 * Bayes baseline of the metrics, and nothing learns from it.
 *
 * @module
 */

import { EVENT_ERROR_REASONS, type EventErrorReason } from "../events/errors.ts";
import { type Action, ACTIONS } from "../events/wire.ts";

/** Row kind: a valid event. */
export const ROW_EVENT = 0;
/** Row kind: a dead-letter marker (a record that is not a valid event). */
export const ROW_DEAD_LETTER = 1;
/** `action` of a marker, `reason` of an event: none. */
export const NONE = 255;
/** The action class of a purchase (the positive label). */
export const ACTION_PURCHASE: number = ACTIONS.indexOf("purchase");

const ACTION_CODE = new Map<string, number>(ACTIONS.map((a, i) => [a, i]));
const REASON_CODE = new Map<string, number>(EVENT_ERROR_REASONS.map((r, i) => [r, i]));

/** The action class of `action` (its index in `ACTIONS`). */
export function actionCode(action: Action): number {
  const code = ACTION_CODE.get(action);
  if (code === undefined) throw new RangeError(`Unknown action ${JSON.stringify(action)}.`);
  return code;
}

/** The code of a dead-letter reason (its index in `EVENT_ERROR_REASONS`). */
export function reasonCode(reason: EventErrorReason): number {
  const code = REASON_CODE.get(reason);
  if (code === undefined) throw new RangeError(`Unknown reason ${JSON.stringify(reason)}.`);
  return code;
}

/** The reason of a marker's `reason` code. */
export function reasonOf(code: number): EventErrorReason {
  const reason = EVENT_ERROR_REASONS[code];
  if (reason === undefined) throw new RangeError(`Unknown reason code ${code}.`);
  return reason;
}

/** What the rows of a batch are: their feature set and widths. */
export interface RowSchema {
  /** The feature set's id (see `src/learn/feature_sets.ts`). */
  featureSet: number;
  /** Dense values per row. */
  denseWidth: number;
  /** Width of the sparse index space (0: no sparse features). Default `0`. */
  sparseWidth?: number;
}

/** Options of {@linkcode RowBatch}. */
export interface RowBatchOptions {
  /** Initial capacity in rows (grows on demand). Default `10000`. */
  capacity?: number;
}

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** A reusable batch of rows, column by column; see the module documentation. */
export class RowBatch {
  /** The feature set's id. */
  readonly featureSet: number;
  /** Dense values per row. */
  readonly denseWidth: number;
  /** Width of the sparse index space (0: none). */
  readonly sparseWidth: number;
  /** Rows in the batch. */
  length = 0;
  /** {@linkcode ROW_EVENT} or {@linkcode ROW_DEAD_LETTER}. */
  kind: Uint8Array;
  /** The event's action class (index in `ACTIONS`); {@linkcode NONE} on a marker. */
  action: Uint8Array;
  /** The marker's reason (index in `EVENT_ERROR_REASONS`); {@linkcode NONE} on an event. */
  reason: Uint8Array;
  /** Source: the input partition. */
  partition: Int32Array;
  /** Source: the offset within it. */
  offset: Float64Array;
  /** Event time, epoch seconds; `NaN` on a marker. */
  eventTime: Float64Array;
  /** Purchase amount; 0 otherwise. */
  amount: Float64Array;
  /** User id; `NaN` on a marker. */
  userId: Float64Array;
  /** True purchase probability when the source knows it, `NaN` otherwise. */
  truth: Float64Array;
  /** Session id; `""` on a marker. */
  sessionId: string[] = [];
  /** Dense feature values, row-major, `denseWidth` per row (zeros on a marker). */
  dense: Float64Array;
  /** End (exclusive) of row `i`'s entries in `sparseIndex`/`sparseValue`; start: `sparseEnd[i-1]` or 0. */
  sparseEnd: Uint32Array;
  /** Sparse feature indices, `0 .. sparseWidth`. */
  sparseIndex: Uint32Array;
  /** Sparse feature values. */
  sparseValue: Float64Array;
  /** Sparse entries in use. */
  sparseLength = 0;

  /**
   * Creates an empty batch of rows of `schema`.
   *
   * @param schema the rows' feature set and widths
   * @param options see {@linkcode RowBatchOptions}
   * @throws {RangeError} on a width or capacity that is not a non-negative integer (dense ≥ 1)
   */
  constructor(schema: RowSchema, options: RowBatchOptions = {}) {
    const capacity = options.capacity ?? 10_000;
    const sparse = schema.sparseWidth ?? 0;
    for (
      const [name, value, min] of [
        ["featureSet", schema.featureSet, 0],
        ["denseWidth", schema.denseWidth, 1],
        ["sparseWidth", sparse, 0],
        ["capacity", capacity, 1],
      ] as const
    ) {
      if (!Number.isInteger(value) || value < min) {
        throw new RangeError(
          `Cannot create a RowBatch with ${name} ${value}: expected an integer ≥ ${min}.`,
        );
      }
    }
    this.featureSet = schema.featureSet;
    this.denseWidth = schema.denseWidth;
    this.sparseWidth = sparse;
    this.kind = new Uint8Array(capacity);
    this.action = new Uint8Array(capacity);
    this.reason = new Uint8Array(capacity);
    this.partition = new Int32Array(capacity);
    this.offset = new Float64Array(capacity);
    this.eventTime = new Float64Array(capacity);
    this.amount = new Float64Array(capacity);
    this.userId = new Float64Array(capacity);
    this.truth = new Float64Array(capacity);
    this.dense = new Float64Array(capacity * schema.denseWidth);
    this.sparseEnd = new Uint32Array(capacity);
    this.sparseIndex = new Uint32Array(0);
    this.sparseValue = new Float64Array(0);
  }

  /** Rows the storage holds before growing. */
  get capacity(): number {
    return this.kind.length;
  }

  /** Whether this batch's rows are of `schema`. */
  matches(schema: RowSchema): boolean {
    return this.featureSet === schema.featureSet && this.denseWidth === schema.denseWidth &&
      this.sparseWidth === (schema.sparseWidth ?? 0);
  }

  /**
   * Empties the batch, keeping its storage — the session ids' array too (its slots past `length`
   * are overwritten as rows are added: truncating it made every batch grow it again, step by step).
   */
  clear(): void {
    this.length = 0;
    this.sparseLength = 0;
  }

  /**
   * Appends an event row from `partition`/`offset` — its action class, amount (0 unless a
   * purchase), user id, session id and event time (epoch seconds) — and returns its index: the
   * caller writes its dense values at `index * denseWidth` (zeroed here). Truth is `NaN`, the
   * sparse part empty.
   */
  addEvent(
    partition: number,
    offset: number,
    action: number,
    amount: number,
    userId: number,
    sessionId: string,
    eventTime: number,
  ): number {
    const i = this.#add(partition, offset);
    this.kind[i] = ROW_EVENT;
    this.action[i] = action;
    this.reason[i] = NONE;
    this.amount[i] = amount;
    this.userId[i] = userId;
    this.sessionId[i] = sessionId;
    this.eventTime[i] = eventTime;
    return i;
  }

  /** Appends a dead-letter marker from `partition`/`offset` with its reason code. */
  addDeadLetter(partition: number, offset: number, reason: number): number {
    const i = this.#add(partition, offset);
    this.kind[i] = ROW_DEAD_LETTER;
    this.action[i] = NONE;
    this.reason[i] = reason;
    this.amount[i] = 0;
    this.userId[i] = NaN;
    this.sessionId[i] = "";
    this.eventTime[i] = NaN;
    return i;
  }

  /**
   * Appends the sparse entry `(index, value)` to the last row.
   * @throws {RangeError} before the first row, or on an index outside `0 .. sparseWidth`
   */
  addSparse(index: number, value: number): void {
    if (this.length === 0 || !(index >= 0 && index < this.sparseWidth)) {
      throw new RangeError(
        `Cannot add sparse entry ${index} to a batch of ${this.length} rows and sparse width ${this.sparseWidth}.`,
      );
    }
    this.reserve(0, 1);
    const k = this.sparseLength++;
    this.sparseIndex[k] = index;
    this.sparseValue[k] = value;
    this.sparseEnd[this.length - 1] = k + 1;
  }

  /** The dense values of row `i` (a view, valid until the batch grows). */
  denseRow(i: number): Float64Array {
    return this.dense.subarray(i * this.denseWidth, (i + 1) * this.denseWidth);
  }

  /** The sparse entries of row `i`: `[start, end)` into `sparseIndex`/`sparseValue`. */
  sparseExtent(i: number): [number, number] {
    return [i === 0 ? 0 : this.sparseEnd[i - 1], this.sparseEnd[i]];
  }

  /**
   * Makes room for `rows` more rows and `sparseEntries` more sparse entries, so that a writer
   * that fills the columns in bulk (the feature log's decoder, `row_codec.ts`) can write
   * `[length, length + rows)` directly and then move `length` and `sparseLength`.
   *
   * @throws {RangeError} on a count that is not a non-negative integer
   */
  reserve(rows: number, sparseEntries = 0): void {
    if (
      !Number.isInteger(rows) || rows < 0 || !Number.isInteger(sparseEntries) || sparseEntries < 0
    ) {
      throw new RangeError(
        `Cannot reserve ${rows} rows and ${sparseEntries} sparse entries: expected integers ≥ 0.`,
      );
    }
    if (this.length + rows > this.kind.length) this.#grow(this.length + rows);
    const sparse = this.sparseLength + sparseEntries;
    if (sparse > this.sparseIndex.length) {
      const n = Math.max(sparse, this.sparseIndex.length * 2);
      this.sparseIndex = grown(this.sparseIndex, n);
      this.sparseValue = grown(this.sparseValue, n);
    }
  }

  #add(partition: number, offset: number): number {
    if (this.length === this.kind.length) this.#grow();
    const i = this.length++;
    this.partition[i] = partition;
    this.offset[i] = offset;
    this.truth[i] = NaN;
    this.sparseEnd[i] = this.sparseLength;
    // A loop, not `fill`: a builtin call per row of ~30 values costs more than the stores.
    const dense = this.dense, w = this.denseWidth;
    for (let k = i * w, end = k + w; k < end; k++) dense[k] = 0;
    return i;
  }

  /** Grows every column to twice its rows, or to `rows` if that is more (one copy). */
  #grow(rows = 0): void {
    const n = Math.max(this.kind.length * 2, rows);
    this.kind = grown(this.kind, n);
    this.action = grown(this.action, n);
    this.reason = grown(this.reason, n);
    this.partition = grown(this.partition, n);
    this.offset = grown(this.offset, n);
    this.eventTime = grown(this.eventTime, n);
    this.amount = grown(this.amount, n);
    this.userId = grown(this.userId, n);
    this.truth = grown(this.truth, n);
    this.dense = grown(this.dense, n * this.denseWidth);
    this.sparseEnd = grown(this.sparseEnd, n);
  }
}
