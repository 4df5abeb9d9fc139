/**
 * The Web Worker entry of the trainer's featurize stage (`train --featurize-worker on`;
 * docs/design.md "The trainer as two stages"): one {@linkcode FeaturizeStage} — the byte
 * decoder, the session stores, the row batch — on its own thread, beside the main thread's
 * consumer and learn stage. It handles its messages one at a time, in order
 * (`featurize_worker_protocol.ts`): `init` once, then per batch its records in and its rows out;
 * `state` answers the stores as of every batch before it; `reset` forgets the sessions; `recycle`
 * gives back the row columns of a batch the main thread learnt, for a later batch to be written
 * into (and each batch's record buffers go back with its rows). Any
 * failure is answered with `error` (the main thread then fails the trainer) and ends the worker.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { featureSetById } from "../learn/feature_sets.ts";
import { FeaturizeStage, type IndexedRecord } from "./featurize_stage.ts";
import {
  decodeStores,
  encodeStores,
  type FromFeaturizeWorker,
  installColumns,
  packRows,
  recordBuffers,
  rowBuffers,
  type RowColumns,
  storeBuffers,
  takeColumns,
  type ToFeaturizeWorker,
} from "./featurize_worker_protocol.ts";
import { RowBatch } from "./row_batch.ts";

let stage: FeaturizeStage | null = null;
let rows: RowBatch | null = null;
let sessionIds = false;
/** Row columns the main thread gave back, for the next batches (at most {@linkcode POOL}). */
const spare: RowColumns[] = [];
/**
 * Row column sets kept for reuse: the batches in flight (`Trainer`'s `maxInFlight`, 2), the one
 * being learnt and one in the worker's hands.
 */
const POOL = 4;

function post(message: FromFeaturizeWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}

function handle(message: ToFeaturizeWorker): void {
  if (message.type === "init") {
    const set = featureSetById(message.featureSet);
    if (set === undefined) {
      throw new RangeError(
        `The featurize worker knows no feature set of id ${message.featureSet}.`,
      );
    }
    stage = new FeaturizeStage({
      featureSet: set,
      sessions: message.sessions,
      restore: message.restore ? decodeStores(message.restore, set.layout) : undefined,
      // Rows go back without their ids unless asked for: then none is made.
      sessionIds: message.sessionIds,
    });
    rows = new RowBatch(stage.rows);
    sessionIds = message.sessionIds;
    return;
  }
  if (stage === null || rows === null) {
    throw new Error(`The featurize worker got "${message.type}" before "init".`);
  }
  switch (message.type) {
    case "batch": {
      const start = performance.now();
      rows.clear();
      // Straight from the packed buffers: no object nor view per record.
      const result = stage.featurizePacked(message, rows);
      const packed = packRows(rows, sessionIds);
      if (packed.length > 0) {
        // The columns go to the main thread: write the next batch into a set it gave back.
        installColumns(
          spare.pop() ?? takeColumns(new RowBatch(stage.rows, { capacity: rows.capacity })),
          rows,
        );
      }
      const { n, values, lengths, partition, offset } = message;
      const records = { n, values, lengths, partition, offset };
      post({
        type: "rows",
        rows: packed,
        skipped: result.skipped,
        deadLetters: result.deadLetters.map((d) => ({
          index: (d.record as IndexedRecord).index,
          reason: d.error.reason,
          message: d.error.message,
          field: d.error.field,
        })),
        counts: stage.sessionCounts(),
        featurizeMs: performance.now() - start,
        records,
      }, [...(packed.length > 0 ? rowBuffers(packed) : []), ...recordBuffers(records)]);
      return;
    }
    case "state": {
      const stores = encodeStores(stage.state());
      post({ type: "state", stores }, storeBuffers(stores));
      return;
    }
    case "reset":
      stage.reset();
      return;
    case "recycle":
      if (spare.length < POOL) spare.push(message.columns);
      return;
  }
}

self.onmessage = (e: MessageEvent<ToFeaturizeWorker>) => {
  try {
    handle(e.data);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    post({ type: "error", message: err.message, stack: err.stack });
    self.close();
  }
};
