/**
 * The plain records that flow through the trainer's stages: what comes in from the consumer
 * ({@linkcode SourceRecord}), and what goes out besides the model — dead letters, written by
 * the featurize stage's side, and predictions, by the learn stage's ({@linkcode BatchOutputs}).
 *
 * @module
 */

import type { EventValidationError } from "../events/errors.ts";

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

/** A record that is not a valid event, with the reason. */
export interface DeadLetter {
  record: SourceRecord;
  error: EventValidationError;
}

/** A valid event's pre-learning score, with what identifies it. */
export interface Prediction {
  /** The event's session id (the prediction record's key). */
  sessionId: string;
  userId: number;
  /** Event time, epoch seconds. */
  timestamp: number;
  /** Source: the input topic, partition and offset. */
  topic: string;
  partition: number;
  offset: number;
  /** The purchase probability the model gave before learning from the event. */
  score: number;
  /** The model's update count when it gave the score (the model version). */
  modelVersion: number;
}

/** What a batch produced besides the model update; written before the checkpoint covers it. */
export interface BatchOutputs {
  batchId: number;
  deadLetters: readonly DeadLetter[];
  predictions: readonly Prediction[];
}
