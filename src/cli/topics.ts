/**
 * `topics create <topic...>` creates topics (with `--partitions`, default 1 as the original) and
 * `topics list` lists them.
 *
 * @module
 */

import type { TopicsConfig } from "./topics_config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import { clientFor } from "./kafka_client.ts";

/** Runs `topics`; resolves to the exit code. */
export async function runTopics(
  config: TopicsConfig,
  log: (line: string) => void = console.log,
): Promise<number> {
  await using admin = await KafkaAdmin.connect(clientFor(config));
  if (config.action === "list") {
    for (const topic of (await admin.listTopics()).sort()) log(topic);
    return 0;
  }
  for (const topic of config.topics) {
    const created = await admin.ensureTopic(topic, { partitions: config.partitions });
    const partitions = await admin.partitionCount(topic);
    log(`${created ? "created" : "exists "} ${topic} (${partitions} partition(s))`);
  }
  return 0;
}
