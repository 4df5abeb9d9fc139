/**
 * Partitions that move with their session state (docs/design.md "Session snapshots"), on the
 * 3-broker cluster, every process run as the user runs it: on a 6-partition topic, three
 * featurizers (each a `deno task featurize`), one of them SIGKILLed with its task parent three
 * times at moments from a printed seed and restarted 1 s later each time, a 4th joining
 * mid-stream, and one of the brokers stopped and started again. Afterwards:
 *
 * - both learner replicas trained every valid event once, with each input partition's count and
 *   next offset equal to what was written to it, and hold bitwise identical models;
 * - the feature log, de-duplicated by source, holds for every partition exactly the rows one
 *   in-process featurize stage computes from that partition's records read back from Kafka, bit
 *   for bit — and every repeated copy of a row equals the first;
 * - partitions moved and were restored from snapshots.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { decodeRows, encodeRows } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { Random } from "../../src/util/random.ts";
import { testCluster } from "../_helpers/cluster.ts";
import { testClient, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { testSeed } from "../_helpers/seed.ts";
import {
  addFills,
  dropTopics,
  fillPartitions,
  killTree,
  type ProgramProcess,
  spawnFeaturize,
  spawnLearn,
  type TrainProcess,
  waitForChild,
  waitForWeights,
  type WeightsBody,
} from "../_helpers/train_process.ts";

const cluster = await testCluster();
const brokers = cluster.brokers;

const FEATURIZE = ["--trigger", "300ms", "--report-every", "20", "--snapshot-interval", "1s"];
const LEARN = ["--trigger", "300ms", "--checkpoint-interval", "1s", "--report-every", "50"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function model(w: WeightsBody) {
  return {
    weights: w.weights,
    intercept: w.intercept,
    updates: w.updates,
    events: w.events_trained,
    logLoss: w.metrics.cumulative.log_loss,
  };
}

function complete(w: WeightsBody, ends: readonly number[]): boolean {
  return ends.every((end, p) => w.sources?.find((s) => s.partition === p)?.next_offset === end);
}

/** Every record of `topic` up to its end offsets now, read as a group of one (bounded). */
async function readAll(topic: string): Promise<ConsumedRecord[]> {
  const client = testClient(brokers);
  await using admin = await KafkaAdmin.connect(client);
  const total = (await admin.topicOffsets(topic)).reduce((n, o) => n + o.high - o.low, 0);
  await using consumer = await EventConsumer.connect(client, {
    topic,
    groupId: uniqueGroup("read-back"),
    startingOffsets: "earliest",
    autoCommit: false,
  });
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + 120_000;
  if (total === 0) return out;
  for await (const r of consumer) {
    out.push(r);
    if (out.length >= total) break;
    if (Date.now() > deadline) {
      throw new Error(`read ${out.length} of ${total} records of ${topic}`);
    }
  }
  return out;
}

Deno.test({
  name:
    "featurizers killed, joining and a broker bounced: rows per partition bitwise the in-process ones, replicas identical",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const N = 200_000;
    const P = 6;
    const topic = uniqueTopic("snap-move");
    const group = uniqueGroup("featurizers");
    const dirs = [
      await Deno.makeTempDir({ prefix: "snap-learn-a-" }),
      await Deno.makeTempDir({ prefix: "snap-learn-b-" }),
    ];
    const seed = testSeed("snapshot handover: the featurizer kill moments");
    const random = new Random(seed);
    const t0 = performance.now();
    const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const options = { partitions: P, badEvery: 250 };
    const before = await fillPartitions(brokers, topic, { n: N / 4, seed: 51, ...options });
    // The rest arrives over about 20 s, while featurizers die, join and a broker goes away.
    const live = fillPartitions(brokers, topic, {
      n: (3 * N) / 4,
      seed: 52,
      pauseMs: 1300,
      ...options,
    });
    const processes: (ProgramProcess | undefined)[] = [];
    const featurizer = () => {
      const f = spawnFeaturize(brokers, topic, group, { args: FEATURIZE, viaTask: true });
      processes.push(f);
      return f;
    };
    const stopped: number[] = [];
    try {
      const a = spawnLearn(brokers, topic, { stateDir: dirs[0], args: LEARN });
      const b = spawnLearn(brokers, topic, { stateDir: dirs[1], args: LEARN });
      processes.push(a, b);
      const members: TrainProcess[] = [featurizer(), featurizer(), featurizer()];
      // Three kill moments in the live feed, from the seed; a broker stopped after the first
      // and started after the second; the 4th featurizer joins after the second.
      const moments = [0, 1, 2].map(() => 3000 + random.nextInt(14_000)).sort((x, y) => x - y);
      const victims = moments.map(() => random.nextInt(3));
      const broker = random.nextInt(cluster.size);
      console.log(
        `seed ${seed}: kills at ${moments.join(", ")} ms of featurizers ${
          victims.join(", ")
        }, broker ${broker} bounced`,
      );
      const started = performance.now();
      for (let k = 0; k < 3; k++) {
        await sleep(Math.max(0, moments[k] - (performance.now() - started)));
        const victim = members[victims[k]];
        // At the moment, or once a just-restarted featurizer's task has started it (under load).
        await waitForChild(victim.pid, 60_000);
        const killed = killTree(victim.pid);
        assert.ok(killed.length >= 2, `the task and its featurizer: ${killed}`);
        assert.equal((await victim.exited).signal, "SIGKILL");
        console.log(`${since()}: killed featurizer ${victims[k]} (${killed.join(", ")})`);
        await sleep(1000);
        members[victims[k]] = featurizer();
        if (k === 0) {
          await cluster.stopBroker(broker);
          stopped.push(broker);
          console.log(`${since()}: stopped broker ${broker}`);
        }
        if (k === 1) {
          await cluster.startBroker(broker);
          stopped.pop();
          console.log(`${since()}: started broker ${broker} again`);
          members.push(featurizer());
          console.log(`${since()}: a 4th featurizer joins`);
        }
      }
      const fill = addFills(before, await live);
      const sentValid = fill.valid.reduce((x, y) => x + y, 0);
      // What the input holds is what was sent: its end offsets (a write acknowledged while the
      // broker went away but not in the topic would show here, and is reported).
      await using admin = await KafkaAdmin.connect(testClient(brokers));
      const ends = (await admin.topicOffsets(topic)).sort((x, y) => x.partition - y.partition)
        .map((o) => o.high);
      const sentEnds = fill.valid.map((v, p) => v + fill.bad[p]);
      console.log(
        `${since()}: wrote ${N} records (${sentValid} valid); the topic's end offsets ${
          ends.join(",")
        }${
          ends.every((e, p) => e === sentEnds[p])
            ? " (as sent)"
            : `, the producer counted ${sentEnds.join(",")}: ${
              sentEnds.reduce((x, y) => x + y, 0) - ends.reduce((x, y) => x + y, 0)
            } acknowledged records not in the topic`
        }`,
      );

      const [wa, wb] = await Promise.all([
        waitForWeights(a, (w) => complete(w, ends), 300_000),
        waitForWeights(b, (w) => complete(w, ends), 300_000),
      ]);
      console.log(`${since()}: both replicas learnt all ${N} records`);

      await t.step("two replicas hold bitwise identical models", () => {
        assert.equal(wa.model_version, wb.model_version);
        assert.deepEqual(model(wa), model(wb));
      });

      const outputs = processes.map((p) => p?.output() ?? "").join("\n");
      const restores = [
        ...outputs.matchAll(
          /restored partition (\d+) from its snapshot at offset (\d+) \((\d+) bytes, (\d+) ms\)/g,
        ),
      ];
      const pauses = [...outputs.matchAll(/partitions ([\d,]+) paused (\d+) ms/g)].map((x) =>
        Number(x[2])
      );
      console.log(
        `${restores.length} restores from snapshots (${
          restores.map((x) => `${x[1]}@${x[2]} ${x[4]} ms`).join(", ")
        }); assignment pauses ${Math.min(...pauses)}–${
          Math.max(...pauses)
        } ms over ${pauses.length} assignments`,
      );

      await t.step("partitions moved and were restored from session snapshots", () => {
        assert.ok(restores.length > 0, "some partition restored from a snapshot");
      });

      await t.step(
        "each partition's trained count and next offset; the de-duplicated feature log is, per partition, bitwise the in-process stage's rows",
        async () => {
          const input = await readAll(topic);
          const stage = new FeaturizeStage();
          const reference = new RowBatch(stage.rows);
          const valid: number[] = [];
          for (let p = 0; p < P; p++) {
            const records = input.filter((r) => r.partition === p).sort((x, y) =>
              x.offset - y.offset
            );
            assert.equal(records.length, ends[p], `partition ${p} read back`);
            valid.push(records.length - stage.featurize(records, reference).deadLetters.length);
          }
          // Every valid event trained once; each partition's count and next offset.
          for (const w of [wa, wb]) {
            assert.equal(w.events_trained, valid.reduce((x, y) => x + y, 0));
            assert.deepEqual(
              w.sources,
              valid.map((v, p) => ({ partition: p, events_trained: v, next_offset: ends[p] })),
            );
          }
          const expected = new Map<string, string>();
          for (let i = 0; i < reference.length; i++) {
            expected.set(
              `${reference.partition[i]}:${reference.offset[i]}`,
              encodeRows(reference, i, i + 1).join(","),
            );
          }
          const log = new RowBatch(stage.rows);
          for (const r of await readAll(`${topic}.features`)) decodeRows(r.value!, log);
          const got = new Map<string, string>();
          let repeats = 0;
          for (let i = 0; i < log.length; i++) {
            const key = `${log.partition[i]}:${log.offset[i]}`;
            const bytes = encodeRows(log, i, i + 1).join(",");
            const first = got.get(key);
            if (first === undefined) got.set(key, bytes);
            else {
              repeats++;
              assert.equal(bytes, first, `a repeated copy of row ${key}`);
            }
          }
          assert.equal(got.size, expected.size, "one row per record");
          for (const [key, bytes] of expected) assert.equal(got.get(key), bytes, `row ${key}`);
          console.log(
            `${expected.size} rows bitwise equal to the in-process stage's (${repeats} repeated copies in the log, each equal)`,
          );
        },
      );
    } finally {
      for (const index of stopped) await cluster.startBroker(index).catch(() => {});
      await Promise.all(processes.map((p) => p?.stop("SIGINT")));
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
      await dropTopics(brokers, topic, `${topic}.dlq`, `${topic}.features`, `${topic}.sessions`)
        .catch(() => {});
    }
  },
});
