/**
 * Test helpers for the tests that need a real broker (their file names end in
 * `_kafka_test.ts`). `testBrokers()` returns the run's broker (`KAFKA_BROKERS`, set by
 * `tests/run.ts`) or, when a test file runs on its own, starts one broker for that file and
 * stops it when the file unloads. `uniqueTopic()` / `uniqueGroup()` give every test its own
 * names; `createTestTopic()` creates a topic and hands back a disposable that deletes it.
 *
 * ```ts
 * const brokers = await testBrokers();
 * Deno.test("...", async () => {
 *   await using topic = await createTestTopic(brokers, "orders", { partitions: 3 });
 * });
 * ```
 *
 * @module
 */

import { startBroker } from "../../dev/kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient, type KafkaClientOptions } from "../../src/kafka/client.ts";

let started: Promise<string> | undefined;

/**
 * The bootstrap address of the test broker: `KAFKA_BROKERS` when set, else a broker started
 * once for this test file (free ports, temporary directory) and stopped when the file unloads.
 * Call it at module top level (`const brokers = await testBrokers();`) so the broker process is
 * not charged to a single test's resource sanitizer.
 */
export function testBrokers(): Promise<string> {
  const fromEnv = Deno.env.get("KAFKA_BROKERS");
  if (fromEnv) return Promise.resolve(fromEnv);
  started ??= (async () => {
    const broker = await startBroker();
    removeOnUnload(() => [broker.pid], broker.dataDir);
    return broker.brokers;
  })();
  return started;
}

/**
 * When this process unloads, removes `dataDir` once the JVMs `pids()` named then are gone.
 * Unload handlers cannot await: the broker handles kill their JVMs on unload themselves; here a
 * detached shell removes the directory after them.
 */
export function removeOnUnload(pids: () => (number | undefined)[], dataDir: string): void {
  globalThis.addEventListener("unload", () => {
    const alive = pids().filter((p) => p !== undefined).join(" ");
    try {
      new Deno.Command("sh", {
        args: [
          "-c",
          `for p in ${alive}; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done; rm -rf '${dataDir}'`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn().unref();
    } catch { /* best effort */ }
  });
}

/** A topic name unique to this test: `<prefix>-<uuid>`. */
export function uniqueTopic(prefix = "test"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** A consumer-group id unique to this test: `<prefix>-<uuid>`. */
export function uniqueGroup(prefix = "group"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** A Kafka client for tests: quiet, short retries so failures show quickly. */
export function testClient(
  brokers: string,
  options: Partial<KafkaClientOptions> = {},
): KafkaClient {
  return new KafkaClient({ brokers, clientId: "clickstream-test", ...options });
}

/** A topic that exists until disposed. */
export interface TestTopic extends AsyncDisposable {
  /** Its name. */
  readonly name: string;
  /** Its partition count. */
  readonly partitions: number;
}

/** Options of {@linkcode createTestTopic}. */
export interface CreateTestTopicOptions {
  /** Partitions. Default: `1`. */
  partitions?: number;
}

/**
 * Creates a topic named `uniqueTopic(prefix)` and returns it as a disposable that deletes it:
 * `await using topic = await createTestTopic(brokers, "x", { partitions: 3 })`.
 */
export async function createTestTopic(
  brokers: string,
  prefix: string,
  options: CreateTestTopicOptions = {},
): Promise<TestTopic> {
  const name = uniqueTopic(prefix);
  const partitions = options.partitions ?? 1;
  const client = testClient(brokers);
  {
    await using admin = await KafkaAdmin.connect(client);
    await admin.ensureTopic(name, { partitions });
  }
  return {
    name,
    partitions,
    async [Symbol.asyncDispose]() {
      await using admin = await KafkaAdmin.connect(client);
      await admin.deleteTopics([name]);
    },
  };
}
