/**
 * `learn` reuses its feature-log fetch responses (`recycleResponses`, released as each
 * micro-batch is learnt) and learns the same model as an in-process learner fed the same records
 * without Kafka: a pre-filled log of 600k `shop` rows is about ten 16 MiB fetches (with read-ahead
 * about four are out of the pool at once), so buffers are read into again while later batches are
 * learnt. (The byte-for-byte check of records held while their responses' buffers are reused is
 * `tests/kafka/consumer_recycle_kafka_test.ts`.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { startLearner } from "../../src/cli/learn.ts";
import type { LearnConfig } from "../../src/cli/learn_config.ts";
import { resolveConfig } from "../../src/config.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { responsePool } from "../../src/kafka/response_pool.ts";
import { ensureFeatureLog, featureLogTopic } from "../../src/stream/feature_log.ts";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { FeatureLogLearner } from "../../src/stream/log_learner.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { encodeRows } from "../../src/stream/row_codec.ts";
import { waitFor } from "../http/dashboard_feed.ts";
import { createTestTopic, testBrokers, testClient } from "../_helpers/kafka.ts";
import { learnerModel } from "../stream/_learner_model.ts";

const brokers = await testBrokers();

const EVENTS = 600_000;
const RECORD_ROWS = 2000;

Deno.test({
  name: "learn reuses its fetch responses and learns the model of the records as they were written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using input = await createTestTopic(brokers, "learn-recycle");
    const client = testClient(brokers);
    {
      await using admin = await KafkaAdmin.connect(client);
      await ensureFeatureLog(admin, input.name);
    }
    // The rows of EVENTS generated events of one input partition, as a featurizer writes them.
    const gen = new SessionGenerator({ seed: 11 });
    const stage = new FeaturizeStage();
    const values: Uint8Array[] = [];
    for (let offset = 0; offset < EVENTS; offset += RECORD_ROWS) {
      const chunk: SourceRecord[] = [];
      for (let k = offset; k < Math.min(EVENTS, offset + RECORD_ROWS); k++) {
        chunk.push({
          topic: input.name,
          partition: 0,
          offset: k,
          key: null,
          value: encodeEvent(gen.next()),
        });
      }
      const rows = new RowBatch(stage.rows);
      stage.featurize(chunk, rows);
      values.push(encodeRows(rows));
    }
    const logBytes = values.reduce((sum, v) => sum + v.byteLength, 0);
    assert.ok(
      logBytes > 3 * 16 * 1024 * 1024,
      `a log of ${logBytes} bytes: three fetches and more`,
    );
    {
      await using producer = await EventProducer.connect(client, {
        topic: featureLogTopic(input.name),
        acks: "all",
      });
      for (let i = 0; i < values.length; i += 10) {
        await producer.sendRaw(values.slice(i, i + 10).map((value) => ({ value, partition: 0 })));
      }
    }

    const stateDir = await Deno.makeTempDir({ prefix: "learn-recycle-test-" });
    const stop = new AbortController();
    const log: string[] = [];
    const config = resolveConfig(
      ["learn", input.name, "--http", "127.0.0.1:0", "--state-dir", stateDir],
      { KAFKA_BROKERS: brokers },
    ) as LearnConfig;
    const before = responsePool.counts();
    const running = await startLearner(config, { log: (l) => log.push(l), signal: stop.signal });
    try {
      await waitFor(
        `learn's snapshot to reach model version ${values.length}`, // published after the batch
        () => running.learner.snapshot.modelVersion === values.length ? true : undefined,
        { timeoutMs: 120_000, everyMs: 50 },
      );
      const after = responsePool.counts();
      assert.ok(
        after.reused - before.reused >= 1,
        `${after.reused - before.reused} responses reused of ${after.taken - before.taken}`,
      );
      // The same records without Kafka, in batches of their own size.
      const reference = new FeatureLogLearner({
        topic: input.name,
        featureSet: featureSet(config.featureSet),
        learner: { mode: config.mode, onDrift: config.onDrift, classWeight: config.classWeight },
        target: config.target,
      });
      const records = values.map((value, offset) => ({
        topic: featureLogTopic(input.name),
        partition: 0,
        offset,
        key: null,
        value,
        headers: {},
        timestamp: 0,
      }));
      for (let i = 0; i < records.length; i += 7) {
        await reference.processBatch(records.slice(i, i + 7));
      }
      assert.ok(
        learnerModel(running.learner).events > EVENTS / 2,
        `${learnerModel(running.learner).events}`,
      );
      assert.deepEqual(learnerModel(running.learner), learnerModel(reference));
    } finally {
      stop.abort();
      await running.done;
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
