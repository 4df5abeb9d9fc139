/**
 * The loop of a checkpointed learner — `train`'s trainer and `learn`'s feature-log learner —
 * around the learn stage, after each batch (docs/design.md "Exactly-once model updates"): once a
 * batch moved the state, a checkpoint when due; then the group-offset commit, only as far as the
 * newest checkpoint covers (with checkpoints; without, as far as the state covers); then a new
 * immutable snapshot of the learn stage (`snapshot_publisher.ts`); then the admin queue, drained
 * between batches (`POST /checkpoint`, and `POST /reset` where the owner allows it). A clean stop
 * ends with a forced checkpoint and a last commit ({@linkcode DurableLoop.flush}).
 *
 * The owner keeps its state and does the batch itself; this loop knows its state only through
 * the callbacks of {@linkcode DurableLoopOptions}.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { type AdminCommand, AdminQueue, type AdminResult } from "./admin_queue.ts";
import type { BrokerView } from "./broker_watch.ts";
import type { LearnedBatch, LearnStage } from "./learn_stage.ts";
import type { NextOffset } from "./offset_ledger.ts";
import type { SessionCounts, Snapshot } from "./snapshot.ts";
import { SnapshotPublisher } from "./snapshot_publisher.ts";

/** The newest checkpoint: the batch it covers and when it was written (ms). */
export interface CheckpointMark {
  /** The id of the last batch it covers. */
  batchId: number;
  /** Write time, ms since the epoch. */
  time: number;
}

/** Per-batch facts for the report printer. */
export interface BatchInfo {
  /** Records (or rows) in the batch, valid and bad, skipped ones excluded. */
  records: number;
  /** Valid events learnt. */
  events: number;
  /** Bad records in this batch. */
  bad: number;
  /** Records (or rows) skipped because the state already covered them. */
  skipped: number;
  /** Processing time of the batch, ms. */
  durationMs: number;
}

/** What a checkpointed learner (`Trainer`, `FeatureLogLearner`) is given besides its state. */
export interface DurableLoopHooks<S> {
  /**
   * Commits group offsets after the batch (lag monitoring); `final` at a clean stop's flush (sent
   * even when they are the last commit's). Default: none.
   */
  commit?: (offsets: readonly NextOffset[], final: boolean) => Promise<void>;
  /**
   * Called after each batch that moved the state, with the full state, when a checkpoint may be
   * written; resolves with the checkpoint's time (ms) if one was written. Default: none.
   */
  checkpoint?: (state: () => S, force: boolean) => Promise<number | null>;
  /** The broker's health and end offsets. Default: always healthy, lag unknown. */
  broker?: () => BrokerView;
  /** Called after every batch that moved the state. Default: none. */
  onBatch?: (snapshot: Snapshot, info: BatchInfo) => void;
  /** Clock for snapshot and drift times. Default: `Date`. */
  clock?: Pick<Clock, "now">;
  /** Points of chart history kept. Default `2000`. */
  historyLimit?: number;
  /** Test hook: called mid-batch (after learning) and before the group-offset commit. */
  crashHook?: (point: "mid-batch" | "before-commit") => void;
}

/** Options of {@linkcode DurableLoop}: the hooks, and the owner's state. */
export interface DurableLoopOptions<S> extends DurableLoopHooks<S> {
  /** What the process is called in refusals, e.g. `"trainer"`. Default `"process"`. */
  name?: string;
  /** The topic learnt (for the snapshot). Required. */
  topic: string;
  /** The learn stage whose state the snapshots show. Required. */
  learn: LearnStage;
  /** The full state, for a checkpoint. Required. */
  state: () => S;
  /** The offsets the live state covers (where a restart must resume). Required. */
  offsets: () => NextOffset[];
  /**
   * Carries out `POST /reset`. Default: none, and a reset is refused with `resetRefusal`.
   */
  reset?: () => AdminResult;
  /** Why a reset is refused when there is no `reset`. Default: `"reset is not supported"`. */
  resetRefusal?: string;
  /** The offsets the checkpoint resumed from covers (what may be committed at once). Default: none. */
  restored?: NextOffset[];
  /** The model version the snapshots show (`learn`). Default: none. */
  modelVersion?: () => number;
  /**
   * The feature log's end offset now (`null`: not polled yet), for the snapshots' `featureLog`
   * lag (`learn`). Default: none, and the snapshots have no `featureLog`.
   */
  featureLogEnd?: () => number | null;
  /** The session stores' counts the snapshots show (`train`). Default: none. */
  sessions?: () => SessionCounts;
  /**
   * Whether the owner's whole state is of one point now (`train`'s featurize worker may be a
   * batch ahead of the learn stage): unforced checkpoints and admin commands wait for a batch
   * after which it is. Default: always.
   */
  quiescent?: () => boolean;
}

const HEALTHY: BrokerView = { healthy: true, reason: null, highWatermarks: null };

/** See the module documentation. */
export class DurableLoop<S> {
  #o: DurableLoopOptions<S>;
  #admin = new AdminQueue();
  #last: CheckpointMark | null = null;
  /** The offsets the newest checkpoint covers (what may be committed to the group). */
  #durable: NextOffset[];
  #publisher: SnapshotPublisher;
  #eventsPerSecond = 0;
  #snapshot: Snapshot;

  /**
   * Creates the loop; publishes a first snapshot of the (restored) state.
   *
   * @param options see {@linkcode DurableLoopOptions}
   */
  constructor(options: DurableLoopOptions<S>) {
    this.#o = options;
    this.#durable = options.restored ?? [];
    this.#publisher = new SnapshotPublisher({
      topic: options.topic,
      clock: options.clock,
      historyLimit: options.historyLimit,
    });
    this.#snapshot = this.#publish(false);
  }

  /** The latest published snapshot (immutable). */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** The newest checkpoint, or `null` before the first. */
  get lastCheckpoint(): CheckpointMark | null {
    return this.#last;
  }

  /** Enqueues an admin command; resolves after it was carried out between batches. */
  admin(command: AdminCommand): Promise<AdminResult> {
    return this.#admin.enqueue(command);
  }

  /** Whether admin commands wait to be carried out. */
  get adminPending(): boolean {
    return this.#admin.size > 0;
  }

  /** Marks that a checkpoint of the current state was written at `time` (ms). */
  markCheckpoint(time: number): void {
    this.#last = { batchId: this.#o.learn.batchId, time };
    this.#durable = this.#o.offsets();
  }

  /** Forgets the chart history (an admin reset). */
  resetHistory(): void {
    this.#publisher.reset();
  }

  /**
   * Consumes `batches` through `process` until they end or `signal` aborts (the batch in
   * progress is finished first), then calls `end` (a pipelined owner finishes its batches in
   * flight there); then refuses further admin commands. With `idle`, each wait for the next
   * batch runs `idle(next)` meanwhile (a pipelined owner learns the batches whose rows are back
   * while the next accumulates); it should return once `next` settles or it has no more to do.
   */
  async run<B>(
    batches: AsyncIterable<B>,
    process: (batch: B) => Promise<void>,
    signal?: AbortSignal,
    end?: () => Promise<void>,
    idle?: (next: Promise<unknown>) => Promise<void>,
  ): Promise<void> {
    const iterator = batches[Symbol.asyncIterator]();
    // As `for await`: the iterator's return() when the loop stops early (an abort, an error of
    // `process` or `idle`), not after it ended or threw by itself.
    let early = true;
    try {
      for (;;) {
        const next = iterator.next();
        if (idle !== undefined) {
          next.catch(() => {}); // awaited below; a rejection must not go unhandled meanwhile
          try {
            await idle(next);
          } catch (error) {
            // A next() in flight: an async generator would queue return() behind it.
            early = false;
            iterator.return?.().catch(() => {});
            throw error;
          }
        }
        let result: IteratorResult<B>;
        try {
          result = await next;
        } catch (error) {
          early = false;
          throw error;
        }
        if (result.done) {
          early = false;
          break;
        }
        await process(result.value);
        if (signal?.aborted) break;
      }
      if (early) await iterator.return?.();
      early = false;
      await end?.();
    } finally {
      try {
        // A failing return() must not hide the error that ended the loop, nor keep the admin
        // queue open (its requests would wait for ever).
        if (early) await iterator.return?.().catch(() => undefined);
      } finally {
        this.#admin.close(`the ${this.#o.name ?? "process"} is stopping`);
      }
    }
  }

  /**
   * After a batch that moved the state — learnt (`learned`, completed) and begun at `start`
   * (`performance.now()`), with `skipped` records skipped in all: checkpoint, commit, publish,
   * admin, and the report.
   */
  async completed(learned: LearnedBatch, start: number, skipped: number): Promise<void> {
    const seconds = (performance.now() - start) / 1000;
    this.#eventsPerSecond = seconds > 0 ? learned.rows / seconds : 0;
    await this.afterBatch(true);
    this.#o.onBatch?.(this.#snapshot, {
      records: learned.rows,
      events: learned.events,
      bad: learned.bad,
      skipped,
      durationMs: performance.now() - start,
    });
  }

  /**
   * After a batch (`progressed`: it moved the state): checkpoint, commit, publish, admin (the
   * checkpoint and the admin commands only when the state is `quiescent`).
   */
  async afterBatch(progressed: boolean): Promise<void> {
    const quiescent = this.#o.quiescent?.() ?? true;
    if (progressed && this.#o.checkpoint && quiescent) {
      const time = await this.#o.checkpoint(this.#o.state, false);
      if (time !== null) this.markCheckpoint(time);
    }
    if (progressed) await this.#commit(false);
    this.#snapshot = this.#publish(progressed);
    if (this.#admin.size > 0 && quiescent) {
      await this.#admin.drain((command) => this.#execute(command));
      this.#snapshot = this.#publish(false);
    }
  }

  /** A forced checkpoint of the current state (when there is a hook), a commit, a snapshot. */
  async flush(): Promise<void> {
    if (this.#o.checkpoint && this.#o.learn.batchId >= 0) {
      const time = await this.#o.checkpoint(this.#o.state, true);
      if (time !== null) this.markCheckpoint(time);
    }
    await this.#commit(true);
    this.#snapshot = this.#publish(false);
  }

  #publish(historyPoint: boolean): Snapshot {
    return this.#publisher.publish(this.#o.learn, {
      broker: this.#o.broker?.() ?? HEALTHY,
      checkpoint: this.#last,
      eventsPerSecond: this.#eventsPerSecond,
      modelVersion: this.#o.modelVersion?.() ?? null,
      ...(this.#o.featureLogEnd ? { featureLogEnd: this.#o.featureLogEnd() } : {}),
      sessions: this.#o.sessions?.() ?? null,
    }, historyPoint);
  }

  async #commit(final: boolean): Promise<void> {
    if (!this.#o.commit) return;
    // With checkpoints, the group may only ever hear offsets a checkpoint covers: a restart
    // then never finds the group ahead of the checkpoint.
    const offsets = this.#o.checkpoint ? this.#durable : this.#o.offsets();
    if (offsets.length === 0) return;
    this.#o.crashHook?.("before-commit");
    await this.#o.commit(offsets, final);
  }

  async #execute(command: AdminCommand): Promise<AdminResult> {
    if (command.type === "reset") {
      return this.#o.reset?.() ??
        { ok: false, message: this.#o.resetRefusal ?? "reset is not supported" };
    }
    if (!this.#o.checkpoint) {
      return {
        ok: false,
        message: `this ${this.#o.name ?? "process"} has no state directory to checkpoint to`,
      };
    }
    const batchId = this.#o.learn.batchId;
    const time = await this.#o.checkpoint(this.#o.state, true);
    if (time === null) return { ok: false, message: "the checkpoint was not written" };
    this.markCheckpoint(time);
    return { ok: true, message: `checkpoint of batch ${batchId} written`, batchId };
  }
}
