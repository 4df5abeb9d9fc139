/**
 * The main thread's side of the featurize worker (`featurize_worker.ts`): starts it with the
 * feature set, the store bounds and the state to continue from, posts each batch's records
 * (copied into one transferred buffer, reused once the worker sends it back) and hands back its
 * rows, bad records and session counts; gives the rows' columns back once learnt
 * ({@linkcode FeaturizeWorker.recycle}); asks for the session stores (a checkpoint) and forgets
 * them (an admin reset). Requests are
 * answered in order, so a `state()` posted after batch k and before batch k+1 is the stores of
 * exactly the batches up to k.
 *
 * A failure of the worker — an error it reports, an uncaught one, a message that cannot be read —
 * rejects every pending request and every later one with a {@linkcode FeaturizeWorkerError}
 * naming the cause, and ends the worker: the trainer fails instead of waiting.
 *
 * @module
 */

import { EventValidationError } from "../events/errors.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import type { SessionStore, SessionStoreOptions } from "../learn/session_store.ts";
import type { FeaturizeResult, FeaturizeState } from "./featurize_stage.ts";
import {
  adoptRows,
  decodeStores,
  encodeStores,
  type FromFeaturizeWorker,
  type PackedRecords,
  packRecords,
  recordBuffers,
  rowBuffers,
  storeBuffers,
  takeColumns,
  type ToFeaturizeWorker,
} from "./featurize_worker_protocol.ts";
import type { SourceRecord } from "./records.ts";
import type { RowBatch } from "./row_batch.ts";
import type { SessionCounts } from "./snapshot.ts";

/** The featurize worker failed; the trainer cannot go on. */
export class FeaturizeWorkerError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(`The featurize worker failed: ${message}`, options);
    this.name = "FeaturizeWorkerError";
  }
}

/** Options of {@linkcode FeaturizeWorker}. */
export interface FeaturizeWorkerOptions {
  /** The features to compute (one of `FEATURE_SETS`). Required. */
  featureSet: FeatureSet;
  /** Bounds of each partition's session store. Default: the store's defaults. */
  sessions?: SessionStoreOptions;
  /** The state to continue from (its stores are copied, not taken). Default: a fresh start. */
  restore?: FeaturizeState<SessionStore>;
  /** Whether rows come back with their session ids. Default `false` (they are `""`). */
  sessionIds?: boolean;
  /** The worker's module (tests give one that fails). Default `featurize_worker.ts`. */
  module?: URL;
}

/** A batch featurized by the worker: call {@linkcode WorkerBatch.into} once to take its rows. */
export interface WorkerBatch {
  /** Makes `rows` hold the batch's rows; returns what featurizing gave besides them. */
  into(rows: RowBatch): FeaturizeResult;
  /** The session stores' counts after this batch. */
  counts: SessionCounts;
  /** How long the worker took over the batch, ms. */
  featurizeMs: number;
  /** When its rows came back (`performance.now()`). */
  backAt: number;
}

type Pending =
  | { type: "rows"; records: readonly SourceRecord[]; resolve: (b: WorkerBatch) => void }
  | { type: "state"; resolve: (s: FeaturizeState<SessionStore>) => void };

/** See the module documentation. */
export class FeaturizeWorker {
  #worker: Worker;
  #set: FeatureSet;
  #pending: (Pending & { reject: (e: Error) => void })[] = [];
  #failed: FeaturizeWorkerError | null = null;
  /** Record buffers the worker sent back, for the next batches to be packed into. */
  #spare: PackedRecords[] = [];

  /**
   * Starts the worker and posts it the feature set, the store bounds and the state to continue
   * from.
   *
   * @param options see {@linkcode FeaturizeWorkerOptions}
   */
  constructor(options: FeaturizeWorkerOptions) {
    this.#set = options.featureSet;
    this.#worker = new Worker(options.module ?? new URL("./featurize_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<FromFeaturizeWorker>) => this.#reply(e.data);
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(
        new FeaturizeWorkerError(
          `${e.message} (${e.filename ?? "?"}:${e.lineno ?? "?"})`,
          { cause: e.error },
        ),
      );
    };
    this.#worker.onmessageerror = () =>
      this.#fail(new FeaturizeWorkerError("a message from it could not be read"));
    const restore = options.restore ? encodeStores(options.restore) : undefined;
    this.#post({
      type: "init",
      featureSet: options.featureSet.id,
      sessions: options.sessions,
      sessionIds: options.sessionIds ?? false,
      restore,
    }, restore ? storeBuffers(restore) : []);
  }

  /** Requests still unanswered. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Posts a batch's records; resolves with its rows once the worker featurized them. */
  featurize(records: readonly SourceRecord[]): Promise<WorkerBatch> {
    return this.#request<WorkerBatch>((resolve, reject) => {
      // Packed and posted before it is pending: a throw here leaves no entry that would shift
      // every later reply by one.
      const packed = packRecords(records, this.#spare.pop());
      this.#post({ type: "batch", ...packed }, recordBuffers(packed));
      this.#pending.push({ type: "rows", records, resolve, reject });
    });
  }

  /**
   * Gives the worker back the columns `rows` adopted from it (a batch of rows, learnt): a later
   * batch is written into them. `rows` must not be read afterwards, until it adopts a batch again.
   */
  recycle(rows: RowBatch): void {
    if (rows.length === 0 || this.#failed !== null) return;
    const columns = takeColumns(rows);
    rows.length = 0;
    rows.sparseLength = 0;
    this.#post({ type: "recycle", columns }, rowBuffers(columns));
  }

  /** The session stores as of every batch posted before this call. */
  state(): Promise<FeaturizeState<SessionStore>> {
    return this.#request((resolve, reject) => {
      this.#pending.push({ type: "state", resolve, reject });
      this.#post({ type: "state" });
    });
  }

  /** Forgets every partition's sessions after the batches posted before this call. */
  reset(): void {
    if (this.#failed === null) this.#post({ type: "reset" });
  }

  /** Ends the worker; pending requests are rejected. */
  close(): void {
    this.#fail(new FeaturizeWorkerError("it was closed"));
  }

  #request<T>(start: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    return new Promise<T>(start);
  }

  #post(message: ToFeaturizeWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #reply(message: FromFeaturizeWorker): void {
    if (message.type === "error") {
      const cause = new Error(message.message);
      if (message.stack) cause.stack = message.stack;
      this.#fail(new FeaturizeWorkerError(message.message, { cause }));
      return;
    }
    const pending = this.#pending.shift();
    if (pending === undefined || pending.type !== message.type) {
      const error = new FeaturizeWorkerError(`an unexpected "${message.type}" reply`);
      pending?.reject(error);
      this.#fail(error);
      return;
    }
    if (pending.type === "state" && message.type === "state") {
      pending.resolve(decodeStores(message.stores, this.#set.layout));
    } else if (pending.type === "rows" && message.type === "rows") {
      const records = pending.records;
      if (this.#spare.length < 2) this.#spare.push(message.records);
      pending.resolve({
        counts: message.counts,
        featurizeMs: message.featurizeMs,
        backAt: performance.now(),
        into: (rows) => {
          adoptRows(message.rows, rows);
          return {
            skipped: message.skipped,
            deadLetters: message.deadLetters.map((d) => ({
              record: records[d.index],
              error: new EventValidationError(d.reason, d.message, { field: d.field }),
            })),
          };
        },
      });
    }
  }

  #fail(error: FeaturizeWorkerError): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#worker.terminate();
    for (const p of this.#pending.splice(0)) p.reject(error);
  }
}
