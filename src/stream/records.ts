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
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset within the partition. */
  offset: number;
  /** Key bytes, or `null`. */
  key: Uint8Array | null;
  /** Value bytes, or `null` for a tombstone. */
  value: Uint8Array | null;
  /** Headers (the first value of a repeated header); absent: none. */
  headers?: Record<string, Uint8Array>;
  /** Record timestamp, epoch ms; absent: unknown. */
  timestamp?: number;
}

/** A record that is not a valid event, with the reason. */
export interface DeadLetter {
  /** The record as it came in. */
  record: SourceRecord;
  /** Why it is not a valid event. */
  error: EventValidationError;
}

/** A valid event's pre-learning score, with what identifies it. */
export interface Prediction {
  /** The event's session id (the prediction record's key). */
  sessionId: string;
  /** The event's user id. */
  userId: number;
  /** Event time, epoch seconds. */
  timestamp: number;
  /** Source: the input topic, partition and offset. */
  topic: string;
  /** Partition of the input topic. */
  partition: number;
  /** Offset within the partition. */
  offset: number;
  /** The purchase probability the model gave before learning from the event. */
  score: number;
  /** The model's update count when it gave the score (the model version). */
  modelVersion: number;
}

/** What a batch produced besides the model update; written before the checkpoint covers it. */
export interface BatchOutputs {
  /** The id of the batch that produced them. */
  batchId: number;
  /** The batch's invalid records, for the dead-letter topic. */
  deadLetters: readonly DeadLetter[];
  /** The batch's predictions (empty unless they were asked for). */
  predictions: readonly Prediction[];
}
