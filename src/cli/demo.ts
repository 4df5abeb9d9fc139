/**
 * `demo`: everything at once on one machine — a local Kafka broker (unless `--brokers` or
 * `KAFKA_BROKERS` names one), the trainer with its HTTP server, and a rate-limited stream of
 * the generator's events from the load generator (a Web Worker, capped at `--rate`) —
 * printing the URLs and the batch reports. Ctrl-C stops the load, the
 * trainer and the broker, in that order.
 *
 * @module
 */

import type { DemoConfig } from "./demo_config.ts";
import type { TrainConfig } from "./train_config.ts";
import { DEFAULT_SESSION_LIMITS } from "./session_limits_flag.ts";
import {
  loadLocalKafka,
  type LocalKafka,
  type LocalKafkaBroker,
  LocalKafkaPortInUseError,
} from "./local_kafka.ts";
import { runLoadWorkers } from "../loadgen/orchestrator.ts";
import { startTrainer } from "./train.ts";
import { shutdownSignal } from "./kafka_client.ts";

/** Output and stop signal of the demo; injected by tests. */
export interface DemoIO {
  /** Lines of output. Default: `console.log`. */
  log?: (text: string) => void;
  /** Stops the demo when aborted. Default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Starts the local broker. Default: the checkout's launcher ({@linkcode loadLocalKafka}). */
  localKafka?: LocalKafka;
}

/** Runs the demo until Ctrl-C; resolves to the exit code. */
export async function runDemo(config: DemoConfig, io: DemoIO = {}): Promise<number> {
  const log = io.log ?? console.log;
  const shutdown = shutdownSignal();
  const signal = io.signal ?? shutdown.signal;
  let broker: LocalKafkaBroker | undefined;
  try {
    let brokers = config.brokers;
    if (!config.externalBrokers) {
      log("starting a local Kafka 4.1.2 broker (the first run resolves its jars with Maven) ...");
      const kafka = io.localKafka ?? await loadLocalKafka();
      try {
        broker = await kafka.start({
          port: config.kafkaPort,
          onProgress: (line) => log(`kafka: ${line}`),
          signal,
        });
      } catch (error) {
        if (error instanceof LocalKafkaPortInUseError) {
          throw new LocalKafkaPortInUseError(
            error.port,
            `${error.message} To use a broker that is already running: --brokers 127.0.0.1:${config.kafkaPort}; for a new one on another port: --kafka-port.`,
            { cause: error },
          );
        }
        throw error;
      }
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
      maxBatchEvents: 20_000,
      maxBatchBytes: 64 * 1024 * 1024,
      featurizeWorker: false,
      startingOffsets: "earliest",
      mode: config.mode,
      featureSet: config.featureSet,
      sessions: { ...DEFAULT_SESSION_LIMITS },
      onDrift: "boost",
      classWeight: 1,
      target: "purchase",
      http: config.http,
      stateDir: config.stateDir,
      checkpointIntervalMs: 5000,
      predictions: false,
      adminToken: null,
      reportEvery: 10,
      shutdownTimeoutMs: 10_000,
      lockWaitMs: 5000,
      crash: null,
    };
    const trainer = await startTrainer(trainConfig, { log, signal });
    log("");
    log(
      `clickstream demo: ${config.rate} events/s of the original's generator into ${config.topic}`,
    );
    log(`  weights:   curl ${trainer.url}/weights`);
    log(`  metrics:   curl ${trainer.url}/metrics`);
    log(`  dashboard: ${trainer.url}/`);
    log("Press Ctrl-C to stop everything.");
    log("");
    const load = await runLoadWorkers({
      brokers,
      topic: config.topic,
      target: { kind: "duration", ms: Infinity },
      workers: 1,
      sendersPerWorker: 1,
      rate: config.rate,
      signal,
    });
    if (load.outcome === "failed") log(`load: ${load.failure}`);
    await trainer.done;
    log(
      `demo stopped: ${load.final.events} events sent, ${trainer.trainer.snapshot.eventsTrained} trained`,
    );
    return 0;
  } finally {
    shutdown.dispose();
    if (broker) {
      log("kafka: stopping the local broker ...");
      await broker[Symbol.asyncDispose]();
    }
  }
}
