/**
 * The learn stage's predictions of one batch (`--predictions`): one per event learnt, its
 * pre-learning score with the row's session, user, time and source, and the model version that
 * scored it (per event in the per-event modes, the batch's in `seed` mode).
 *
 * @module
 */

import type { FeatureBatch } from "../learn/feature_batch.ts";
import type { Prediction } from "./records.ts";
import type { RowBatch } from "./row_batch.ts";

/**
 * Appends to `out` the prediction of each of the `events.length` events, event `j` being row
 * `rowOf[j]` of `rows`; `updatesBefore` is the model's update count before the batch.
 */
export function collectPredictions(
  out: Prediction[],
  topic: string,
  rows: RowBatch,
  events: FeatureBatch,
  rowOf: Int32Array,
  updatesBefore: number,
  perEvent: boolean,
): void {
  for (let j = 0; j < events.length; j++) {
    const i = rowOf[j];
    out.push({
      sessionId: rows.sessionId[i],
      userId: rows.userId[i],
      timestamp: rows.eventTime[i],
      topic,
      partition: rows.partition[i],
      offset: rows.offset[i],
      score: events.scores[j],
      modelVersion: perEvent ? updatesBefore + j : updatesBefore,
    });
  }
}
