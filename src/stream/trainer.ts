/**
 * The trainer: turns micro-batches of Kafka records into model updates and publishes what HTTP
 * serves. Per batch, in order (DESIGN.md "Data flow"): skip records the state already covers,
 * decode + validate each record (a bad one is counted by reason and set aside for the dead-letter
 * queue, never fatal), featurize → score → learn → measure through the {@linkcode Learner},
 * aggregate purchases, hand side outputs to their sinks and wait for them, advance the offsets,
 * let the checkpoint hook run, commit group offsets (for lag only), publish a new immutable
 * {@linkcode Snapshot}, and drain the admin queue.
 *
 * It imports neither kafkajs nor the HTTP server: records come in as plain objects, offsets go
 * out through an injected `commit`, the broker's state comes in through injected functions.
 *
 * @module
 */

import { tryDecodeEvents } from "../events/schema.ts";
import type { EventValidationError } from "../events/errors.ts";
import type { WireEvent } from "../events/wire.ts";
import { Learner, type LearnerOptions, scoreSession } from "../learn/learner.ts";
import type { MetricsSnapshot, MetricsSummary } from "../learn/metrics.ts";
import { type AdminCommand, AdminQueue, type AdminResult } from "./admin_queue.ts";
import { PurchaseAggregate } from "./purchases.ts";
import type { DriftMarker, HistoryPoint, MetricsView, Snapshot } from "./snapshot.ts";
import type { Clock } from "../util/clock.ts";

/** One record as the trainer sees it (what the Kafka consumer yields). */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Record<string, Uint8Array>;
  timestamp?: number;
}

/** A partition and the next offset to read from it. */
export interface NextOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A record that is not a valid event, with the reason. */
export interface DeadLetter {
  record: SourceRecord;
  error: EventValidationError;
}

/** A valid event with its pre-learning score and its source. */
export interface Prediction {
  event: WireEvent;
  score: number;
  record: SourceRecord;
  /** The model's update count when it gave the score (the model version). */
  modelVersion: number;
}

/** What a batch produced besides the model update; written before the checkpoint covers it. */
export interface BatchOutputs {
  batchId: number;
  deadLetters: readonly DeadLetter[];
  predictions: readonly Prediction[];
}

/** Broker-side view: health and the end offsets of the topic's partitions. */
export interface BrokerView {
  /** `false` while the broker cannot be reached. */
  healthy: boolean;
  /** Why not healthy, or `null`. */
  reason: string | null;
  /** End offset (high watermark) per partition, when known. */
  highWatermarks: ReadonlyMap<number, number> | null;
}

/** Everything the checkpoint must hold, for the checkpoint hook. */
export interface TrainerState {
  /** The topic this state was trained on. */
  topic: string;
  batchId: number;
  eventsTrained: number;
  batches: number;
  offsets: NextOffset[];
  learner: ReturnType<Learner["toJSON"]>;
  purchases: ReturnType<PurchaseAggregate["toJSON"]>;
  badRecords: Record<string, number>;
  skippedRecords: number;
}

/** Per-batch facts for the report printer. */
export interface BatchInfo {
  /** Records in the batch, valid and bad, skipped ones excluded. */
  records: number;
  /** Valid events learnt. */
  events: number;
  /** Bad records in this batch. */
  bad: number;
  /** Records skipped because the state already covered them. */
  skipped: number;
  /** Processing time of the batch, ms. */
  durationMs: number;
}

/** Options of {@linkcode Trainer}. */
export interface TrainerOptions {
  /** The topic trained on (for the snapshot). Required. */
  topic: string;
  /** Learner options (mode and hyper-parameters); ignored when `restore` is given. Default: `{}`. */
  learner?: LearnerOptions;
  /** State to continue from (a checkpoint). Default: a fresh start. */
  restore?: TrainerState;
  /** Clock for throughput and snapshot times. Default: `Date` / `performance`. */
  clock?: Pick<Clock, "now">;
  /** Commits group offsets after the batch (lag monitoring). Default: none. */
  commit?: (offsets: readonly NextOffset[]) => Promise<void>;
  /** Writes the batch's side outputs and resolves once acknowledged. Default: none. */
  sideOutputs?: (outputs: BatchOutputs) => Promise<void>;
  /** Whether to collect predictions for `sideOutputs`. Default: `false`. */
  collectPredictions?: boolean;
  /**
   * Called after each batch with the full state when a checkpoint may be written; resolves
   * with the checkpoint's time (ms) if one was written. Default: none.
   */
  checkpoint?: (state: () => TrainerState, force: boolean) => Promise<number | null>;
  /** The broker's health and end offsets. Default: always healthy, lag unknown. */
  broker?: () => BrokerView;
  /** Called after every non-empty batch. Default: none. */
  onBatch?: (snapshot: Snapshot, info: BatchInfo) => void;
  /** Points of chart history kept. Default `2000`. */
  historyLimit?: number;
  /** Test hook: called mid-batch (after learning) and before the group-offset commit. */
  crashHook?: (point: "mid-batch" | "before-commit") => void;
}

const EMPTY_VIEW: MetricsView = {
  events: 0,
  logLoss: NaN,
  constantLogLoss: NaN,
  bayesLogLoss: null,
  auc: NaN,
  accuracy: NaN,
  majorityAccuracy: NaN,
  purchaseRate: NaN,
};

const num = (x: number | null | undefined) => x ?? NaN;

/** Maps the learner's summary (nulls) to the served view (NaN). */
export function toMetricsView(s: MetricsSummary | null): MetricsView {
  if (s === null) return EMPTY_VIEW;
  return {
    events: s.events,
    logLoss: num(s.logLoss),
    constantLogLoss: num(s.constantLogLoss),
    bayesLogLoss: s.bayesLogLoss,
    auc: num(s.auc),
    accuracy: num(s.accuracy),
    majorityAccuracy: num(s.majorityAccuracy),
    purchaseRate: num(s.purchaseRate),
  };
}

/** The trainer loop and its state; see the module documentation. */
export class Trainer {
  #topic: string;
  #learnerOptions: LearnerOptions;
  #learner: Learner;
  #purchases: PurchaseAggregate;
  #offsets = new Map<number, number>();
  #batchId = -1;
  #batches = 0;
  #eventsTrained = 0;
  #skipped = 0;
  #bad: Record<string, number> = {};
  #history: HistoryPoint[] = [];
  #drifts: DriftMarker[] = [];
  #lastCheckpoint: { batchId: number; time: number } | null = null;
  #eventsPerSecond = 0;
  #snapshot: Snapshot;
  #admin = new AdminQueue();
  #options: TrainerOptions;
  #clock: Pick<Clock, "now">;
  #broken: Error | null = null;
  /** The offsets the newest checkpoint covers (what may be committed to the group). */
  #durable: NextOffset[] = [];

  /** @param options see {@linkcode TrainerOptions} */
  constructor(options: TrainerOptions) {
    this.#options = options;
    this.#topic = options.topic;
    this.#clock = options.clock ?? Date;
    this.#learnerOptions = options.learner ?? {};
    const r = options.restore;
    if (r) {
      if (r.topic !== undefined && r.topic !== options.topic) {
        throw new TypeError(
          `Cannot resume: the saved state was trained on topic "${r.topic}", not "${options.topic}".`,
        );
      }
      this.#learner = Learner.fromJSON(r.learner, {
        onDrift: this.#learnerOptions.onDrift,
        boostFactor: this.#learnerOptions.boostFactor,
      });
      this.#purchases = PurchaseAggregate.fromJSON(r.purchases);
      for (const o of r.offsets) this.#offsets.set(o.partition, o.offset);
      this.#batchId = r.batchId;
      this.#batches = r.batches;
      this.#eventsTrained = r.eventsTrained;
      this.#bad = { ...r.badRecords };
      this.#skipped = r.skippedRecords;
      this.#durable = this.offsets;
    } else {
      this.#learner = new Learner(this.#learnerOptions);
      this.#purchases = new PurchaseAggregate();
    }
    this.#snapshot = this.#buildSnapshot();
  }

  /** The latest published snapshot (immutable). */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** The next offset per partition the state covers (where a restart must resume). */
  get offsets(): NextOffset[] {
    return [...this.#offsets].sort((a, b) => a[0] - b[0]).map(([partition, offset]) => ({
      topic: this.#topic,
      partition,
      offset,
    }));
  }

  /** Enqueues an admin command; resolves after the trainer carried it out between batches. */
  admin(command: AdminCommand): Promise<AdminResult> {
    return this.#admin.enqueue(command);
  }

  /** The full state, for a checkpoint. */
  state(): TrainerState {
    return {
      topic: this.#topic,
      batchId: this.#batchId,
      eventsTrained: this.#eventsTrained,
      batches: this.#batches,
      offsets: this.offsets,
      learner: this.#learner.toJSON(),
      purchases: this.#purchases.toJSON(),
      badRecords: { ...this.#bad },
      skippedRecords: this.#skipped,
    };
  }

  /** Marks that a checkpoint of the current state was written at `time` (ms). */
  markCheckpoint(time: number): void {
    this.#lastCheckpoint = { batchId: this.#batchId, time };
    this.#durable = this.offsets;
  }

  /**
   * Writes a checkpoint of the current state now (when a checkpoint hook is set) and commits
   * its offsets: the last step of a clean shutdown.
   */
  async flush(): Promise<void> {
    if (this.#broken !== null) return;
    if (this.#options.checkpoint && this.#batchId >= 0) {
      const time = await this.#options.checkpoint(() => this.state(), true);
      if (time !== null) this.markCheckpoint(time);
    }
    await this.#commit();
    this.#snapshot = this.#buildSnapshot();
  }

  async #commit(): Promise<void> {
    if (!this.#options.commit) return;
    // With checkpoints, the group may only ever hear offsets a checkpoint covers: a restart
    // then never finds the group ahead of the checkpoint.
    const offsets = this.#options.checkpoint ? this.#durable : this.offsets;
    if (offsets.length === 0) return;
    this.#options.crashHook?.("before-commit");
    await this.#options.commit(offsets);
  }

  /**
   * Consumes micro-batches until they end or `signal` aborts (the batch in progress is
   * finished first). Empty batches refresh health and lag and drain the admin queue.
   */
  async run(
    batches: AsyncIterable<readonly SourceRecord[]>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    try {
      for await (const records of batches) {
        await this.processBatch(records);
        if (options.signal?.aborted) break;
      }
    } finally {
      this.#admin.close("the trainer is stopping");
    }
  }

  /** Processes one micro-batch (see the module documentation for the order of steps). */
  async processBatch(records: readonly SourceRecord[]): Promise<void> {
    if (this.#broken !== null) {
      throw new Error(
        "The trainer cannot go on: a batch's side outputs failed after the model learnt from it; restart from the checkpoint.",
        { cause: this.#broken },
      );
    }
    const start = performance.now();
    const events: WireEvent[] = [];
    const sources: SourceRecord[] = [];
    const deadLetters: DeadLetter[] = [];
    let skipped = 0;
    const advanced = new Map<number, number>();
    const fresh: SourceRecord[] = [];
    for (const record of records) {
      const next = advanced.get(record.partition) ?? this.#offsets.get(record.partition) ?? 0;
      if (record.offset < next) {
        skipped++;
        continue;
      }
      advanced.set(record.partition, record.offset + 1);
      fresh.push(record);
    }
    const decoded = tryDecodeEvents(fresh.map((r) => r.value));
    for (let i = 0; i < fresh.length; i++) {
      const result = decoded[i];
      if (result.ok) {
        events.push(result.event);
        sources.push(fresh[i]);
      } else {
        deadLetters.push({ record: fresh[i], error: result.error });
      }
    }
    const processed = events.length + deadLetters.length;
    if (processed === 0) {
      this.#skipped += skipped;
      await this.#afterBatch(false);
      return;
    }
    const updatesBefore = this.#learner.model.updates;
    const batch = this.#learner.learn(events);
    for (const i of this.#learner.lastDrifts) {
      this.#drifts.push({
        batchId: this.#batchId + 1,
        eventsTrained: this.#eventsTrained + i + 1,
        time: this.#clock.now(),
        detector: this.#learner.drift?.name ?? "drift",
      });
    }
    if (this.#drifts.length > 1000) this.#drifts.splice(0, this.#drifts.length - 1000);
    this.#options.crashHook?.("mid-batch");
    for (const e of events) if (e.action === "purchase") this.#purchases.add(e.user_id, e.amount!);
    const batchId = this.#batchId + 1;
    if (this.#options.sideOutputs) {
      const predictions: Prediction[] = [];
      if (this.#options.collectPredictions) {
        const perEvent = this.#learner.model.mode !== "seed";
        for (let i = 0; i < events.length; i++) {
          predictions.push({
            event: events[i],
            score: batch.scores[i],
            record: sources[i],
            modelVersion: perEvent ? updatesBefore + i : updatesBefore,
          });
        }
      }
      try {
        await this.#options.sideOutputs({ batchId, deadLetters, predictions });
      } catch (error) {
        // The model has learnt from records whose side outputs are not written: the live state
        // is now ahead of its offsets. Refuse to go on; the checkpoint is the way back.
        this.#broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    }
    // Only now, with the side outputs acknowledged, does the state move past these records.
    for (const [partition, offset] of advanced) this.#offsets.set(partition, offset);
    for (const d of deadLetters) this.#bad[d.error.reason] = (this.#bad[d.error.reason] ?? 0) + 1;
    this.#batchId = batchId;
    this.#batches++;
    this.#eventsTrained += events.length;
    this.#skipped += skipped;
    const seconds = (performance.now() - start) / 1000;
    this.#eventsPerSecond = seconds > 0 ? processed / seconds : 0;
    await this.#afterBatch(true);
    this.#options.onBatch?.(this.#snapshot, {
      records: processed,
      events: events.length,
      bad: deadLetters.length,
      skipped,
      durationMs: performance.now() - start,
    });
  }

  async #afterBatch(progressed: boolean): Promise<void> {
    if (progressed && this.#options.checkpoint) {
      const time = await this.#options.checkpoint(() => this.state(), false);
      if (time !== null) this.markCheckpoint(time);
    }
    if (progressed) await this.#commit();
    // One metrics summary (AUC over its bins) per batch, shared by the history and the snapshot.
    const metrics = this.#learner.snapshot();
    if (progressed) this.#history.push(this.#historyPoint(metrics.rolling));
    const limit = this.#options.historyLimit ?? 2000;
    if (this.#history.length > limit) this.#history.splice(0, this.#history.length - limit);
    this.#snapshot = this.#buildSnapshot(metrics);
    if (this.#admin.size > 0) {
      await this.#admin.drain((command) => this.#execute(command));
      this.#snapshot = this.#buildSnapshot();
    }
  }

  async #execute(command: AdminCommand): Promise<AdminResult> {
    if (command.type === "reset") {
      this.#learner = new Learner(this.#learnerOptions);
      this.#purchases.clear();
      this.#history = [];
      this.#drifts = [];
      return {
        ok: true,
        message: `model, features and metrics reset after batch ${this.#batchId}; offsets kept`,
        batchId: this.#batchId,
      };
    }
    if (!this.#options.checkpoint) {
      return { ok: false, message: "this trainer has no state directory to checkpoint to" };
    }
    const time = await this.#options.checkpoint(() => this.state(), true);
    if (time === null) return { ok: false, message: "the checkpoint was not written" };
    this.markCheckpoint(time);
    return {
      ok: true,
      message: `checkpoint of batch ${this.#batchId} written`,
      batchId: this.#batchId,
    };
  }

  #lag(view: BrokerView): number {
    if (view.highWatermarks === null) return NaN;
    let lag = 0;
    for (const [partition, high] of view.highWatermarks) {
      lag += Math.max(0, high - (this.#offsets.get(partition) ?? 0));
    }
    return lag;
  }

  #brokerView(): BrokerView {
    return this.#options.broker?.() ?? { healthy: true, reason: null, highWatermarks: null };
  }

  #historyPoint(rolling: MetricsSummary): HistoryPoint {
    const coefficients = this.#learner.model.coefficients();
    return {
      batchId: this.#batchId,
      time: this.#clock.now(),
      eventsTrained: this.#eventsTrained,
      weights: coefficients.weights,
      intercept: coefficients.intercept,
      rollingLogLoss: num(rolling.logLoss),
      rollingConstantLogLoss: num(rolling.constantLogLoss),
      rollingBayesLogLoss: rolling.bayesLogLoss,
      rollingAuc: num(rolling.auc),
      eventsPerSecond: this.#eventsPerSecond,
      lag: this.#lag(this.#brokerView()),
      badRecords: Object.values(this.#bad).reduce((a, b) => a + b, 0),
    };
  }

  #buildSnapshot(metrics: MetricsSnapshot = this.#learner.snapshot()): Snapshot {
    const learner = this.#learner;
    const model = learner.model;
    const frozen = model.clone();
    const c = model.coefficients();
    const broker = this.#brokerView();
    return Object.freeze({
      mode: model.mode,
      topic: this.#topic,
      featureNames: Object.freeze([...c.names]),
      weights: Object.freeze(c.weights),
      intercept: c.intercept,
      rawWeights: Object.freeze(c.rawWeights),
      rawIntercept: c.rawIntercept,
      updates: model.updates,
      eventsTrained: this.#eventsTrained,
      batches: this.#batches,
      batchId: this.#batchId,
      time: this.#clock.now(),
      cumulative: toMetricsView(metrics.cumulative.events > 0 ? metrics.cumulative : null),
      rolling: toMetricsView(metrics.rolling.events > 0 ? metrics.rolling : null),
      lastBatch: toMetricsView(learner.lastBatch),
      lag: this.#lag(broker),
      eventsPerSecond: this.#eventsPerSecond,
      badRecords: Object.freeze({ ...this.#bad }),
      skippedRecords: this.#skipped,
      healthy: broker.healthy,
      healthReason: broker.reason,
      checkpoint: this.#lastCheckpoint,
      topPurchasers: Object.freeze(this.#purchases.top(1000)),
      history: Object.freeze([...this.#history]),
      drifts: Object.freeze([...this.#drifts]),
      drift: learner.drift === null ? null : {
        detector: learner.drift.name,
        total: learner.drift.drifts,
        statistic: learner.drift.statistic,
        threshold: learner.drift.config.threshold,
        onDrift: learner.onDrift,
      },
      predict: (events: readonly WireEvent[]) => scoreSession(frozen, events),
    });
  }
}
