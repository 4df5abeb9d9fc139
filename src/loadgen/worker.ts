/**
 * The Web Worker entry of the load generator. One worker owns one shard of the session pool (its
 * own generator of the run's profile, so no lock is shared with anyone) and its own senders (kafkajs
 * producers through `EventProducer`). Each sender runs `inFlight` send loops; a loop takes a
 * batch of events from the shard (asking the orchestrator for rate tokens first when a cap is
 * on), encodes it (`record_encoder.ts`) and sends it as one produce request. Counts of
 * acknowledged events and bytes and of failed events go to the orchestrator every
 * `progressIntervalMs`; a failed send is counted and its message reported, a broker that stays
 * unreachable after the client's bounded retry (or too many failures in a row) ends the worker
 * with `fatal`. On `stop` (or the quota reached) the loops finish their sends in flight, the
 * producers are closed and `done` carries the final counts. Messages: `messages.ts`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { createGenerator } from "../generator/create_generator.ts";
import type { WireEvent } from "../events/wire.ts";
import { KafkaClient, KafkaUnavailableError } from "../kafka/client.ts";
import { EventProducer } from "../kafka/producer.ts";
import type { FromWorker, ToWorker, WorkerSpec } from "./messages.ts";
import { encodeBatch, type EncodedBatch, eventJson } from "./record_encoder.ts";

function post(message: FromWorker): void {
  self.postMessage(message);
}

/** Acknowledged and failed events of this worker, cumulative. */
const counts = { events: 0, bytes: 0, errors: 0 };
let stopping = false;
let go: () => void = () => {};
const started = new Promise<void>((resolve) => (go = resolve));
const grants = new Map<number, (granted: boolean) => void>();
let nextGrant = 0;

function acquire(n: number): Promise<boolean> {
  const id = nextGrant++;
  return new Promise((resolve) => {
    grants.set(id, resolve);
    post({ type: "acquire", id, n });
  });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const message = e.data;
  switch (message.type) {
    case "start":
      run(message.spec)
        .catch((error) => {
          post({ type: "fatal", message: (error as Error)?.message ?? String(error) });
        })
        .finally(() => {
          post({ type: "done", ...counts });
          self.close();
        });
      break;
    case "go":
      go();
      break;
    case "grant":
      grants.get(message.id)?.(message.granted);
      grants.delete(message.id);
      break;
    case "stop":
      stopping = true;
      go(); // a worker stopped before `go` just closes
      for (const resolve of grants.values()) resolve(false);
      grants.clear();
      break;
  }
};

async function run(spec: WorkerSpec): Promise<void> {
  const client = new KafkaClient({
    brokers: spec.brokers,
    clientId: `${spec.clientId}-w${spec.index}`,
    logLevel: spec.kafkaLogs ? "info" : "nothing",
    requestTimeoutMs: spec.requestTimeoutMs,
    ...spec.security,
  });
  const producers: EventProducer[] = [];
  try {
    for (let i = 0; i < spec.senders && !stopping; i++) {
      producers.push(
        await EventProducer.connect(client, {
          topic: spec.topic,
          acks: spec.acks,
          compression: spec.compression,
          idempotent: spec.idempotent,
          maxInFlightRequests: spec.inFlight,
          maxBatchRecords: spec.batchRecords,
          maxBatchBytes: 64 * 1024 * 1024,
          connectTimeoutMs: spec.connectTimeoutMs,
          ackTimeoutMs: spec.requestTimeoutMs,
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled(producers.map((p) => p.close()));
    throw error;
  }
  post({ type: "ready" });
  await started;

  const g = spec.generator;
  let nowSeconds = Math.floor(Date.now() / 1000);
  const generator = createGenerator(g.profile, {
    seed: g.seed,
    original: {
      maxActiveSessions: g.maxActiveSessions,
      newSessionProbability: g.newSessionProbability,
      basePurchaseProbability: g.basePurchaseProbability,
      purchaseScaling: g.purchaseScaling,
      maxPurchaseProbability: g.maxPurchaseProbability,
    },
    ...(g.shard ? { shard: g.shard } : {}),
    ...(g.driftAt !== null ? { driftAt: g.driftAt } : {}),
    ...(g.wallClock ? { clock: () => nowSeconds } : {}),
  });

  let generatedEvents = 0;
  let generatedBytes = 0;
  let fatal: string | null = null;
  const reported = new Set<string>();
  const report = (message: string) => {
    if (reported.size < 20 && !reported.has(message)) {
      reported.add(message);
      post({ type: "error", message });
    }
  };
  const quota = spec.quota;
  const remaining = (): number => {
    if (quota === null) return Infinity;
    if ("events" in quota) return quota.events - generatedEvents;
    return generatedBytes < quota.bytes ? Infinity : 0;
  };

  const partitioning = spec.partitions === null ? {} : { partitions: spec.partitions };
  /**
   * Takes up to `max` events from the shard (stopping early at the byte quota) and encodes them;
   * null when there are none left. Only the encoded records outlive it: the events and their
   * JSON texts are garbage before the send, so what a send in flight keeps alive (what the
   * garbage collector copies while it waits) is the records alone.
   */
  const takeBatch = (max: number): EncodedBatch | null => {
    const n = Math.min(max, remaining());
    const events: WireEvent[] = [];
    const texts: string[] = [];
    let bytes = 0;
    nowSeconds = Math.floor(Date.now() / 1000);
    const byteQuota = quota !== null && "bytes" in quota ? quota.bytes : Infinity;
    for (let i = 0; i < n && generatedBytes + bytes < byteQuota; i++) {
      const event = generator.next();
      const text = eventJson(event);
      events.push(event);
      texts.push(text);
      bytes += text.length; // ASCII: characters are bytes (checked again when encoding)
    }
    generatedEvents += events.length;
    generatedBytes += bytes;
    return events.length === 0 ? null : encodeBatch(events, { texts, ...partitioning });
  };

  const loop = async (producer: EventProducer): Promise<void> => {
    let failures = 0;
    while (!stopping && fatal === null && remaining() > 0) {
      if (spec.rateLimited) {
        const want = Math.min(spec.batchRecords, remaining());
        if (!(await acquire(want)) || stopping || fatal !== null) break;
      }
      const batch = takeBatch(spec.batchRecords);
      if (batch === null) break;
      const n = batch.records.length;
      try {
        await producer.sendRaw(batch.records);
        counts.events += n;
        counts.bytes += batch.valueBytes;
        failures = 0;
      } catch (error) {
        counts.errors += n;
        const message = (error as Error)?.message ?? String(error);
        report(message);
        failures++;
        if (error instanceof KafkaUnavailableError) {
          fatal ??= message;
        } else if (failures >= spec.maxConsecutiveFailures) {
          fatal ??= `${failures} sends in a row failed, the last with: ${message}`;
        }
      }
    }
  };

  const timer = setInterval(() => post({ type: "progress", ...counts }), spec.progressIntervalMs);
  try {
    const loops: Promise<void>[] = [];
    const perSender = spec.idempotent ? 1 : spec.inFlight;
    for (const producer of producers) {
      for (let j = 0; j < perSender; j++) loops.push(loop(producer));
    }
    await Promise.all(loops);
  } finally {
    clearInterval(timer);
    if (fatal !== null) post({ type: "fatal", message: fatal });
    await Promise.allSettled(producers.map((p) => p.close()));
  }
}
