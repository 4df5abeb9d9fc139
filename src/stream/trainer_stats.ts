/**
 * Where a trainer's batches spend their time (`train` prints it when it stops; `bench:consume`
 * shows it per run): how many batches closed for which reason, and the main thread's wall time
 * split into waiting for input (the micro-batcher accumulating: the consumer's fetches and their
 * decoding), posting batches to the featurize worker, waiting for the worker's rows, featurizing
 * (one thread) and learning (the learn stage, side outputs, checkpoint, commit, snapshot); with
 * the worker, also the worker's own featurize time, per batch how long its rows took to come back
 * and then waited for the main thread, and how deep the pipeline was. Only batches
 * with records count, from the first one's arrival to the last one's end, so an idle spell
 * before or after the input does not.
 *
 * @module
 */

/** What the stats are told of a batch's closing (the micro-batcher's `lastClose`). */
export type CloseReasonProbe = () => string | null;

/** A main-thread phase of {@linkcode TrainerStats}. */
export type TrainerPhase = "input" | "post" | "waitRows" | "featurize" | "learn";

const PHASES: readonly TrainerPhase[] = ["input", "post", "waitRows", "featurize", "learn"];

/** The totals of {@linkcode TrainerStats} (milliseconds, counts). */
export interface TrainerStatsTotals {
  /** Batches with records. */
  batches: number;
  /** Records in them. */
  records: number;
  /** Why those batches closed: the batcher's reason and how many. */
  closes: Record<string, number>;
  /** Wall time from the first batch with records arriving to the last one learnt, ms. */
  spanMs: number;
  /** Main-thread wall time per phase, ms. */
  phases: Record<TrainerPhase, number>;
  /** The worker's featurize time, ms (0 without the worker). */
  workerMs: number;
  /** Batches the worker featurized. */
  workerBatches: number;
  /** From posting each batch to its rows coming back, ms, summed over the batches. */
  roundTripMs: number;
  /** From each batch's rows coming back to the main thread learning them, ms, summed. */
  rowsWaitMs: number;
  /** The most batches posted to the worker and not learnt yet at once. */
  maxInFlight: number;
  /** Batches learnt while the next batch was being accumulated (not waited for by it). */
  learntWhileIdle: number;
}

/**
 * Accumulates a trainer's per-batch timings; see the module documentation. Phases are timed
 * with `performance.now()`, a few reads per batch.
 */
export class TrainerStats {
  #closeReason: CloseReasonProbe | null = null;
  #now: () => number;
  #first = -1;
  #last = -1;
  #mark = -1;
  #t: TrainerStatsTotals = {
    batches: 0,
    records: 0,
    closes: {},
    spanMs: 0,
    phases: { input: 0, post: 0, waitRows: 0, featurize: 0, learn: 0 },
    workerMs: 0,
    workerBatches: 0,
    roundTripMs: 0,
    rowsWaitMs: 0,
    maxInFlight: 0,
    learntWhileIdle: 0,
  };

  /**
   * Creates empty stats.
   *
   * @param now the clock, ms (tests inject one). Default `performance.now`.
   */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Where batches' close reasons come from (set once the batcher exists). */
  set closeReason(probe: CloseReasonProbe) {
    this.#closeReason = probe;
  }

  /** The current time (for a phase timed by the caller). */
  now(): number {
    return this.#now();
  }

  /** A batch of `records` arrived (the end of an input wait, started at the last `waiting`). */
  arrived(records: number): void {
    if (records === 0) return;
    const now = this.#now();
    if (this.#first < 0) this.#first = now;
    else if (this.#mark >= 0) this.#t.phases.input += now - this.#mark;
    this.#mark = -1;
    this.#t.batches++;
    this.#t.records += records;
    const reason = this.#closeReason?.() ?? "unknown";
    this.#t.closes[reason] = (this.#t.closes[reason] ?? 0) + 1;
  }

  /** The trainer waits for input from now (the time idle learning takes is counted apart). */
  waiting(): void {
    this.#mark = this.#now();
  }

  /** Adds `ms` to `phase`, and to the input wait's exclusions when idle. */
  add(phase: TrainerPhase, ms: number, rows: number): void {
    this.#t.phases[phase] += ms;
    if (this.#mark >= 0) this.#mark += ms; // not input wait
    if (rows > 0) this.#last = this.#now();
  }

  /**
   * The worker featurized a batch in `ms`; its rows came back `roundTripMs` after it was posted,
   * and waited `rowsWaitMs` for the main thread to learn them.
   */
  worker(ms: number, roundTripMs: number, rowsWaitMs: number): void {
    this.#t.workerMs += ms;
    this.#t.workerBatches++;
    this.#t.roundTripMs += roundTripMs;
    this.#t.rowsWaitMs += rowsWaitMs;
  }

  /** `n` batches are in flight now. */
  inFlight(n: number): void {
    if (n > this.#t.maxInFlight) this.#t.maxInFlight = n;
  }

  /** A batch was learnt while the next one accumulated. */
  learntWhileIdle(): void {
    this.#t.learntWhileIdle++;
  }

  /** The totals so far. */
  totals(): TrainerStatsTotals {
    const span = this.#first >= 0 && this.#last > this.#first ? this.#last - this.#first : 0;
    return structuredClone({ ...this.#t, spanMs: span });
  }

  /** One line: the totals as seconds and shares of the span (what `train` logs when it stops). */
  summary(): string {
    const t = this.totals();
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const share = (ms: number) => t.spanMs > 0 ? ` (${Math.round(100 * ms / t.spanMs)}%)` : "";
    const per = (ms: number) => `${(ms / Math.max(1, t.workerBatches)).toFixed(1)} ms`;
    const closes = Object.entries(t.closes).map(([k, v]) => `${k} ${v}`).join(", ");
    const phases = PHASES.filter((p) => t.phases[p] > 0)
      .map((p) => `${p} ${s(t.phases[p])}${share(t.phases[p])}`).join(", ");
    return `pipeline: ${t.batches} batches of ${t.records} records over ${s(t.spanMs)} (closed: ${
      closes || "none"
    }); main thread: ${phases || "-"}${
      t.workerMs > 0
        ? `; worker featurize ${s(t.workerMs)}${share(t.workerMs)}; per batch: ${
          per(t.workerMs)
        } featurizing, rows back ${per(t.roundTripMs)} after posting and learnt ${
          per(t.rowsWaitMs)
        } after that; at most ${t.maxInFlight} in flight, ${t.learntWhileIdle} learnt while the next accumulated`
        : ""
    }`;
  }
}
