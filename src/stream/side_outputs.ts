/**
 * Writes a batch's side outputs — dead letters to `<topic>.dlq`, predictions to
 * `<topic>.predictions` — and resolves only once Kafka acknowledged them, so the checkpoint that
 * follows never covers an unwritten side output. A failed write is retried, the whole batch's
 * outputs again, with backoff, until it succeeds or the trainer stops: nothing is dropped, and a
 * repeat is identifiable by its source (topic, partition, offset).
 *
 * @module
 */

import { deadLetterRecord } from "../kafka/dead_letters.ts";
import type { RawRecord, SendResult } from "../kafka/producer.ts";
import type { Clock } from "../util/clock.ts";
import { retry } from "../util/retry.ts";
import type { BatchOutputs, Prediction } from "./records.ts";

/** Where records are written: an `EventProducer` fits. */
export interface RawSink {
  /** Writes the records; resolves when acknowledged. */
  sendRaw(records: Iterable<RawRecord>): Promise<SendResult>;
}

/** Options of {@linkcode SideOutputWriter}. */
export interface SideOutputWriterOptions {
  /** The dead-letter topic's producer. Required. */
  deadLetters: RawSink;
  /** The predictions topic's producer, when `--predictions`. Default: none. */
  predictions?: RawSink;
  /** Stops the retries (the write then rejects). Default: none. */
  signal?: AbortSignal;
  /** Called before each retry. Default: none. */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Called when a write succeeds after failures. Default: none. */
  onRecovered?: (attempts: number) => void;
  /** First backoff, ms (doubling). Default `200`. */
  initialBackoffMs?: number;
  /** Longest backoff, ms. Default `5000`. */
  maxBackoffMs?: number;
  /** The clock of the backoff. Default: the system clock. */
  clock?: Clock;
}

const encoder = new TextEncoder();

/** The prediction record of one scored event; key = session id. */
export function predictionRecord(p: Prediction): RawRecord {
  const value = {
    session_id: p.sessionId,
    user_id: p.userId,
    topic: p.topic,
    partition: p.partition,
    offset: p.offset,
    p_purchase: p.score,
    model_version: p.modelVersion,
    timestamp: p.timestamp,
  };
  return { key: p.sessionId, value: encoder.encode(JSON.stringify(value)) };
}

/** See the module documentation. */
export class SideOutputWriter {
  #options: SideOutputWriterOptions;

  /**
   * Creates a writer to the producers of `options`.
   *
   * @param options see {@linkcode SideOutputWriterOptions}
   */
  constructor(options: SideOutputWriterOptions) {
    this.#options = options;
  }

  /** Writes the batch's outputs; resolves once all are acknowledged. */
  async write(outputs: BatchOutputs): Promise<void> {
    const o = this.#options;
    const dead = outputs.deadLetters.map((d) =>
      deadLetterRecord({
        // Field by field, not a spread: a consumer's record may read them through getters.
        topic: d.record.topic,
        partition: d.record.partition,
        offset: d.record.offset,
        key: d.record.key,
        value: d.record.value,
        headers: d.record.headers ?? {},
        timestamp: d.record.timestamp ?? 0,
      }, d.error)
    );
    const predictions = o.predictions ? outputs.predictions.map(predictionRecord) : [];
    if (dead.length === 0 && predictions.length === 0) return;
    await retry(async (attempt) => {
      if (dead.length > 0) await o.deadLetters.sendRaw(dead);
      if (predictions.length > 0) await o.predictions!.sendRaw(predictions);
      if (attempt > 1) o.onRecovered?.(attempt);
    }, {
      initialDelayMs: o.initialBackoffMs ?? 200,
      maxDelayMs: o.maxBackoffMs ?? 5000,
      signal: o.signal,
      clock: o.clock,
      onRetry: o.onRetry,
    });
  }
}
