import assert from "node:assert/strict";
import {
  ensureFeatureLog,
  type FeatureLogAdmin,
  FeatureLogError,
  featureLogTopic,
} from "../../src/stream/feature_log.ts";
import { FakeClock } from "../../src/util/fake_clock.ts";

/** An admin port over a map of topic → partitions, recording what it was asked to create. */
function admin(topics: Map<string, number>, created: unknown[]): FeatureLogAdmin {
  return {
    ensureTopic(topic, options) {
      created.push({ topic, ...options });
      if (topics.has(topic)) return Promise.resolve(false);
      topics.set(topic, options.partitions);
      return Promise.resolve(true);
    },
    partitionCount: (topic) => Promise.resolve(topics.get(topic)),
  };
}

Deno.test("the feature log is <topic>.features, created with one partition kept forever", async () => {
  const created: unknown[] = [];
  const topics = new Map<string, number>();
  assert.equal(featureLogTopic("clicks"), "clicks.features");
  assert.equal(await ensureFeatureLog(admin(topics, created), "clicks"), true);
  assert.equal(await ensureFeatureLog(admin(topics, created), "clicks"), false);
  assert.deepEqual(created[0], {
    topic: "clicks.features",
    partitions: 1,
    configs: { "retention.ms": "-1" },
  });
});

Deno.test("a feature log of several partitions is refused: its rows would have no one order", async () => {
  const topics = new Map([["clicks.features", 3]]);
  await assert.rejects(
    () => ensureFeatureLog(admin(topics, []), "clicks"),
    (e: unknown) =>
      e instanceof FeatureLogError && e.topic === "clicks.features" &&
      /has 3 partitions: it needs exactly one/.test(e.message),
  );
});

Deno.test("a feature log no broker reports yet is read again until one does, then refused if none ever does", async () => {
  // On a cluster, a topic just created reaches each broker's metadata a moment later.
  const topics = new Map<string, number>();
  const port = admin(topics, []);
  let unseen = 2;
  const late: FeatureLogAdmin = {
    ensureTopic: port.ensureTopic,
    partitionCount: (topic) =>
      unseen-- > 0 ? Promise.resolve(undefined) : port.partitionCount(topic),
  };
  const clock = new FakeClock();
  const created = ensureFeatureLog(late, "clicks", { clock });
  await clock.tick(100 + 200);
  assert.equal(await created, true);
  assert.equal(unseen, -1, "read three times");

  const never: FeatureLogAdmin = { ...port, partitionCount: () => Promise.resolve(undefined) };
  const refused = ensureFeatureLog(never, "clicks", { clock, maxAttempts: 3 });
  const outcome = assert.rejects(
    refused,
    (e: unknown) =>
      e instanceof FeatureLogError && e.topic === "clicks.features" &&
      /no broker reported its partitions after 3 reads/.test(e.message),
  );
  await clock.tick(100 + 200);
  await outcome;
});
