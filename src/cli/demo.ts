/**
 * `demo`: everything at once on one machine — a local Kafka broker (unless `--brokers` or
 * `KAFKA_BROKERS` names one), the trainer with its HTTP server, and a rate-limited stream of
 * the generator's events — printing the URLs and the batch reports. Ctrl-C stops the load, the
 * trainer and the broker, in that order.
 *
 * @module
 */

import type { DemoConfig, TrainConfig } from "../config.ts";
import { type BrokerHandle, startBroker } from "../../kafka/broker.ts";
import { EventProducer } from "../kafka/producer.ts";
import { SessionGenerator } from "../generator/session_generator.ts";
import { startTrainer } from "./train.ts";
import { clientFor, shutdownSignal } from "./kafka_client.ts";

/** Output and stop signal of the demo; injected by tests. */
export interface DemoIO {
  /** Lines of output. Default: `console.log`. */
  log?: (text: string) => void;
  /** Stops the demo when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** Sends the generator's events at `rate` per second until `signal` aborts. */
async function produceAtRate(
  producer: EventProducer,
  rate: number,
  signal: AbortSignal,
  log: (text: string) => void,
): Promise<number> {
  const generator = new SessionGenerator({
    seed: Math.floor(Math.random() * 2 ** 31),
    clock: () => Math.floor(Date.now() / 1000),
  });
  const tickMs = 100;
  const start = performance.now();
  let sent = 0;
  while (!signal.aborted) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
    if (due > 0) {
      try {
        await producer.send(Array.from({ length: due }, () => generator.next()));
        sent += due;
      } catch (error) {
        if (signal.aborted) break;
        log(`load: send failed (${(error as Error).message}); retrying`);
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, tickMs);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
  return sent;
}

/** Runs the demo until Ctrl-C; resolves to the exit code. */
export async function runDemo(config: DemoConfig, io: DemoIO = {}): Promise<number> {
  const log = io.log ?? console.log;
  const shutdown = shutdownSignal();
  const signal = io.signal ?? shutdown.signal;
  let broker: BrokerHandle | undefined;
  try {
    let brokers = config.brokers;
    if (!config.externalBrokers) {
      log("starting a local Kafka 4.1.2 broker (the first run resolves its jars with Maven) ...");
      broker = await startBroker({
        port: config.kafkaPort,
        controllerPort: 0,
        onProgress: (line) => log(`kafka: ${line}`),
        signal,
      });
      brokers = [broker.brokers];
      log(`kafka: up at ${broker.brokers} (log ${broker.logFile})`);
    }
    const common = { ...config, brokers };
    const trainConfig: TrainConfig = {
      ...common,
      command: "train",
      clientId: "clickstream-demo",
      topic: config.topic,
      group: "clickstream-demo-trainer",
      triggerMs: 1000,
      maxBatchEvents: 100_000,
      startingOffsets: "earliest",
      mode: config.mode,
      onDrift: "boost",
      http: config.http,
      stateDir: config.stateDir,
      checkpointIntervalMs: 5000,
      predictions: false,
      adminToken: null,
      reportEvery: 10,
      shutdownTimeoutMs: 10_000,
      crash: null,
    };
    const trainer = await startTrainer(trainConfig, { log, signal });
    await using producer = await EventProducer.connect(clientFor(common), {
      topic: config.topic,
      acks: "leader",
    });
    log("");
    log(
      `clickstream demo: ${config.rate} events/s of the original's generator into ${config.topic}`,
    );
    log(`  weights:   curl ${trainer.url}/weights`);
    log(`  metrics:   curl ${trainer.url}/metrics`);
    log(`  dashboard: ${trainer.url}/`);
    log("Press Ctrl-C to stop everything.");
    log("");
    const sent = await produceAtRate(producer, config.rate, signal, log);
    await trainer.done;
    log(`demo stopped: ${sent} events sent, ${trainer.trainer.snapshot.eventsTrained} trained`);
    return 0;
  } finally {
    shutdown.dispose();
    if (broker) {
      log("kafka: stopping the local broker ...");
      await broker[Symbol.asyncDispose]();
    }
  }
}
