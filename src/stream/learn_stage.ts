/**
 * The learn stage: consumes rows (`row_batch.ts`) in order and does everything that needs one
 * ordered view of the whole stream. Per batch of rows: accept each row iff its source offset is
 * at least its input partition's next expected one (the ledger: a repeat changes nothing), then
 * score → learn → measure → detect drift over the accepted event rows through the
 * {@linkcode BatchLearner}, aggregate purchases, count dead-letter markers by reason, and collect
 * predictions. The ledger and the counters move only when the caller completes the batch (after
 * its side outputs were acknowledged): {@linkcode LearnStage.learn} then
 * {@linkcode LearnStage.complete}.
 *
 * It sees neither Kafka nor JSON nor events: rows in, state out. `seed` mode learns per batch
 * of rows, as it did per batch of records.
 *
 * Its state's form is in `learn_state.ts`, the per-partition counts and views in
 * `partition_sources.ts` (this module re-exports their types), the next-action model's restore
 * and classes buffer in `next_action.ts`, the rows' copy (or loan) into the learner's events in
 * `copy_events.ts`, the predictions in `batch_predictions.ts`.
 *
 * @module
 */

import { BatchLearner, type BatchLearnerOptions } from "../learn/batch_learner.ts";
import { FeatureBatch } from "../learn/feature_batch.ts";
import { type FeatureSet, modelShape } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET, describeFeatureSet } from "../learn/feature_sets.ts";
import { type Clock, SYSTEM_CLOCK } from "../util/clock.ts";
import { type LedgerBatch, type NextOffset, OffsetLedger } from "./offset_ledger.ts";
import { PurchaseAggregate } from "./purchases.ts";
import type { Prediction } from "./records.ts";
import { ACTION_PURCHASE, reasonOf, ROW_EVENT, type RowBatch } from "./row_batch.ts";
import type { DriftMarker } from "./snapshot.ts";
import { ActionCore } from "../learn/action_core.ts";
import { DEFAULT_TARGET, type Target } from "../learn/target.ts";
import type { LearnState } from "./learn_state.ts";
import { actionCoreFor, classesFor } from "./next_action.ts";
import { type SourceView, TrainedCounts } from "./partition_sources.ts";
import { copyEvents, EventColumns } from "./copy_events.ts";
import { collectPredictions } from "./batch_predictions.ts";
import { allEvents, takeWhole } from "./learnt_whole.ts";

export type { LearnState } from "./learn_state.ts";
export type { PartitionCount, SourceView } from "./partition_sources.ts";

/** Drift markers kept (the newest). */
const MAX_DRIFT_MARKERS = 1000;

/** Options of {@linkcode LearnStage}. */
export interface LearnStageOptions {
  /** The input topic (the rows' sources are its partitions). Required. */
  topic: string;
  /** The features of the rows (see `feature_sets.ts`). Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** Learner options (mode, hyper-parameters, drift); only the drift reaction applies on restore. */
  learner?: Omit<BatchLearnerOptions, "featureNames">;
  /**
   * What it learns: `purchase` (the purchase model), or `action` (also the next action's class
   * by softmax regression, see `action_core.ts`). Default `"purchase"`.
   */
  target?: Target;
  /** State to continue from (a checkpoint). Default: a fresh start. */
  restore?: LearnState;
  /** The clock of drift markers. Default: the system clock. */
  clock?: Pick<Clock, "now">;
  /** Initial capacity of the event batch, rows (grows on demand). Default `10000`. */
  capacity?: number;
}

/** Options of {@linkcode LearnStage.learn}. */
export interface LearnRowsOptions {
  /** Collect each event's prediction. Default `false`. */
  predictions?: boolean;
}

/** One batch of rows learnt, waiting for {@linkcode LearnStage.complete}. */
export interface LearnedBatch {
  /** The batch's id once completed. */
  readonly batchId: number;
  /** Rows accepted (events and markers). */
  readonly rows: number;
  /** Event rows learnt. */
  readonly events: number;
  /** Dead-letter markers counted. */
  readonly bad: number;
  /** Rows refused because the ledger already covered their source. */
  readonly skipped: number;
  /** The events' predictions (when asked for). */
  readonly predictions: readonly Prediction[];
  /** @internal the staged ledger advances */
  readonly ledger: LedgerBatch;
  /** @internal markers by reason */
  readonly reasons: ReadonlyMap<string, number>;
  /** @internal events learnt per partition */
  readonly trained: ReadonlyMap<number, number>;
}

/** See the module documentation. */
export class LearnStage {
  /** The feature set of the rows this stage learns from. */
  readonly featureSet: FeatureSet;
  /** What it learns. */
  readonly target: Target;
  #topic: string;
  #options: BatchLearnerOptions;
  #clock: Pick<Clock, "now">;
  #learner: BatchLearner;
  #action: ActionCore | null = null;
  #classes = new Uint8Array(0);
  #purchases: PurchaseAggregate;
  #ledger: OffsetLedger;
  #events: FeatureBatch;
  #rowOf: Int32Array;
  #batchId = -1;
  #batches = 0;
  #eventsTrained = 0;
  #skipped = 0;
  #bad: Record<string, number> = {};
  #drifts: DriftMarker[] = [];
  #version = 0;
  #trained = new TrainedCounts();
  #own = new EventColumns();

  /**
   * Creates the stage, fresh or from `restore`.
   *
   * @param options see {@linkcode LearnStageOptions}
   * @throws {TypeError} if `restore` is not a learn state of this feature set
   */
  constructor(options: LearnStageOptions) {
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    this.featureSet = set;
    this.#topic = options.topic;
    this.#options = { ...options.learner, ...modelShape(set), featureNames: set.names };
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.target = options.target ?? DEFAULT_TARGET;
    const r = options.restore;
    if (r) {
      this.#action = actionCoreFor(this.target, set.names, r);
      if (r.featureSet !== set.id) {
        throw new TypeError(
          `Cannot restore the learn stage: its model learnt from feature set ${
            describeFeatureSet(r.featureSet)
          }, this stage learns from ${describeFeatureSet(set.id)}.`,
        );
      }
      const was = r.learner.model.classWeight ?? 1, want = this.#options.classWeight ?? 1;
      if (was !== want) {
        throw new TypeError(
          `Cannot restore the learn stage: its model learnt with --class-weight purchase=${was}, this stage with --class-weight purchase=${want}.`,
        );
      }
      this.#learner = BatchLearner.fromJSON(r.learner, {
        onDrift: this.#options.onDrift,
        boostFactor: this.#options.boostFactor,
        featureNames: set.names,
      });
      this.#purchases = PurchaseAggregate.fromJSON(r.purchases);
      this.#ledger = OffsetLedger.from(r.offsets);
      this.#batchId = r.batchId;
      this.#batches = r.batches;
      this.#eventsTrained = r.eventsTrained;
      this.#bad = { ...r.badRecords };
      this.#skipped = r.skippedRecords;
      this.#trained = new TrainedCounts(r.trained, r.eventsTrained);
    } else {
      this.#learner = new BatchLearner(this.#options);
      this.#action = actionCoreFor(this.target, set.names);
      this.#purchases = new PurchaseAggregate();
      this.#ledger = new OffsetLedger();
    }
    const capacity = options.capacity ?? 10_000;
    const model = this.#learner.model;
    this.#events = new FeatureBatch(model.width, { capacity, sparseWidth: model.sparseWidth });
    this.#rowOf = new Int32Array(capacity);
  }

  /** The next-action model and its metrics (live), or `null` unless the target is `action`. */
  get action(): ActionCore | null {
    return this.#action;
  }

  /** The learner (live). */
  get learner(): BatchLearner {
    return this.#learner;
  }

  /** The purchase aggregate (live). */
  get purchases(): PurchaseAggregate {
    return this.#purchases;
  }

  /** The ledger of source offsets (live). */
  get ledger(): OffsetLedger {
    return this.#ledger;
  }

  /** The next source offset per input partition the state covers. */
  get offsets(): NextOffset[] {
    return this.#ledger.offsets(this.#topic);
  }

  /** Id of the last completed batch (`-1` before the first). */
  get batchId(): number {
    return this.#batchId;
  }

  /** Batches completed. */
  get batches(): number {
    return this.#batches;
  }

  /** Events learnt. */
  get eventsTrained(): number {
    return this.#eventsTrained;
  }

  /** Records and rows skipped because the state already covered them. */
  get skippedRecords(): number {
    return this.#skipped;
  }

  /** Bad records by reason. */
  get badRecords(): Readonly<Record<string, number>> {
    return this.#bad;
  }

  /** Per input partition: events learnt and the next offset covered, by partition. */
  get sources(): SourceView[] {
    return this.#trained.sources(this.#ledger);
  }

  /** Drifts detected (the newest {@linkcode MAX_DRIFT_MARKERS}). */
  get drifts(): readonly DriftMarker[] {
    return this.#drifts;
  }

  /** Changes whenever the model, the metrics or the purchases do (for caches of them). */
  get version(): number {
    return this.#version;
  }

  /**
   * Learns from the rows of `rows` its ledger has not covered yet, in order (see the module
   * documentation). The ledger and counters stay until {@linkcode LearnStage.complete}.
   *
   * @throws {RangeError} if the rows are not of the feature set and width of the model
   */
  learn(rows: RowBatch, options: LearnRowsOptions = {}): LearnedBatch {
    const width = this.#learner.model.width, sparseWidth = this.#learner.model.sparseWidth;
    if (
      rows.featureSet !== this.featureSet.id || rows.denseWidth !== width ||
      rows.sparseWidth !== sparseWidth
    ) {
      throw new RangeError(
        `Cannot learn from rows of feature set ${rows.featureSet} (width ${rows.denseWidth}, sparse ${rows.sparseWidth}): the model is of feature set ${this.featureSet.id} ("${this.featureSet.name}", width ${width}, sparse ${sparseWidth}).`,
      );
    }
    // Read before the loops: a property first read after a hot loop has no type feedback in the
    // loop's on-stack-replaced code, which then deoptimizes there at the end of every batch.
    const predict = options.predictions;
    const ledger = this.#ledger.begin();
    const events = this.#events;
    events.clear();
    this.#own.restore(events);
    // Room for every row up front: the rows are copied into the events in bulk below.
    events.reserve(rows.length, rows.length === 0 ? 0 : rows.sparseEnd[rows.length - 1]);
    if (this.#rowOf.length < events.capacity) this.#rowOf = grown(this.#rowOf, events.capacity);
    const rowOf = this.#rowOf;
    const action = this.#action;
    if (action !== null) this.#classes = classesFor(this.#classes, rows.length);
    const classes = this.#classes;
    const reasons = new Map<string, number>();
    const trained = new Map<number, number>();
    let accepted = 0, bad = 0, skipped = 0;
    // Events per partition, counted in runs (rows come in runs of one partition).
    let runPartition = -1, run = 0;
    // Consecutive event rows [copyFrom, i) become events [copyTo, ...): their dense values and
    // sparse entries are copied with one `set` each when the run ends.
    let copyFrom = 0, copyTo = 0;
    const labels = events.labels, truth = events.truth, ends = events.sparseEnd;
    const rowEnds = rows.sparseEnd, action8 = rows.action, truth64 = rows.truth;
    const partitions = rows.partition, kinds = rows.kind, offsets = rows.offset, n = rows.length;
    let j = 0, sparseShift = 0; // events so far; events' sparse position − rows' sparse position
    // The usual batch: every row a new event, taken by columns (`learnt_whole.ts`); `rowOf` is
    // then the identity. Else row by row.
    const whole = allEvents(rows) && ledger.acceptAll(partitions, offsets, n);
    if (whole) {
      takeWhole(rows, events, action === null ? null : classes, trained);
      accepted = j = n; // copyFrom stays 0: the rows' columns are borrowed below
    }
    for (let i = whole ? n : 0; i < n; i++) {
      const partition = partitions[i];
      const isEvent = kinds[i] === ROW_EVENT;
      if (!ledger.accept(partition, offsets[i])) {
        skipped++;
      } else if (!isEvent) {
        accepted++;
        bad++;
        const reason = reasonOf(rows.reason[i]);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      } else {
        accepted++;
        if (partition !== runPartition) {
          if (run > 0) trained.set(runPartition, (trained.get(runPartition) ?? 0) + run);
          runPartition = partition;
          run = 0;
        }
        run++;
        rowOf[j] = i;
        ends[j] = rowEnds[i] + sparseShift;
        const a = action8[i];
        labels[j] = a === ACTION_PURCHASE ? 1 : 0;
        if (action !== null) classes[j] = a;
        truth[j] = truth64[i];
        j++;
        continue;
      }
      // Row i is not learnt: copy the run before it; the sparse positions of later rows shift.
      copyEvents(rows, copyFrom, i, events, copyTo);
      sparseShift -= rowEnds[i] - (i === 0 ? 0 : rowEnds[i - 1]);
      copyFrom = i + 1;
      copyTo = j;
    }
    if (copyFrom === 0 && j === rows.length) this.#own.borrow(rows, events);
    else copyEvents(rows, copyFrom, rows.length, events, copyTo);
    events.length = j;
    events.sparseLength = j === 0 ? 0 : ends[j - 1];
    if (run > 0) trained.set(runPartition, (trained.get(runPartition) ?? 0) + run);
    const predictions: Prediction[] = [];
    const batch = {
      batchId: this.#batchId + 1,
      rows: accepted,
      events: events.length,
      bad,
      skipped,
      predictions,
      ledger,
      reasons,
      trained,
    };
    if (accepted === 0) return batch;
    const model = this.#learner.model;
    const updatesBefore = model.updates;
    this.#learner.learn(events);
    action?.learn(events.rows, events.length, classes);
    this.#version++;
    for (const j of this.#learner.lastDrifts) {
      this.#drifts.push({
        batchId: batch.batchId,
        eventsTrained: this.#eventsTrained + j + 1,
        time: this.#clock.now(),
        detector: this.#learner.drift?.name ?? "drift",
      });
    }
    if (this.#drifts.length > MAX_DRIFT_MARKERS) {
      this.#drifts.splice(0, this.#drifts.length - MAX_DRIFT_MARKERS);
    }
    const purchases = this.#purchases, users = rows.userId, amounts = rows.amount;
    for (let j = 0; j < events.length; j++) {
      if (labels[j] === 1) {
        const i = whole ? j : rowOf[j];
        purchases.addAt(users, amounts, i);
      }
    }
    if (predict) {
      if (whole) { for (let j = 0; j < n; j++) rowOf[j] = j; }
      const perEvent = model.mode !== "seed";
      collectPredictions(predictions, this.#topic, rows, events, rowOf, updatesBefore, perEvent);
    }
    return batch;
  }

  /**
   * Completes a learnt batch: its sources are now covered, its markers counted, and
   * `extraSkipped` records skipped upstream (by the featurize stage) counted too. A batch that
   * accepted no row only adds its skips.
   */
  complete(batch: LearnedBatch, extraSkipped = 0): void {
    this.#skipped += batch.skipped + extraSkipped;
    if (batch.rows === 0) return;
    this.#ledger.commit(batch.ledger);
    for (const [reason, n] of batch.reasons) this.#bad[reason] = (this.#bad[reason] ?? 0) + n;
    this.#trained.add(batch.trained);
    this.#batchId = batch.batchId;
    this.#batches++;
    this.#eventsTrained += batch.events;
  }

  /** Forgets the model, metrics, purchases and drifts (an admin reset); offsets and counts stay. */
  reset(): void {
    this.#learner = new BatchLearner(this.#options);
    if (this.#action !== null) this.#action = new ActionCore(this.featureSet.names);
    this.#purchases.clear();
    this.#drifts = [];
    this.#version++;
  }

  /** The plain JSON-able state, for the checkpoint. */
  state(): LearnState {
    const trained = this.#trained.toJSON();
    return {
      featureSet: this.featureSet.id,
      batchId: this.#batchId,
      eventsTrained: this.#eventsTrained,
      batches: this.#batches,
      offsets: this.offsets,
      learner: this.#learner.toJSON(),
      purchases: this.#purchases.toJSON(),
      badRecords: { ...this.#bad },
      skippedRecords: this.#skipped,
      ...(trained === undefined ? {} : { trained }),
      ...(this.#action === null ? {} : { target: this.target, action: this.#action.toJSON() }),
    };
  }
}

function grown(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}
