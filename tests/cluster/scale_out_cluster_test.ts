/**
 * Scaling out on the 3-broker cluster (docs/design.md "Scaling out"), every process run as the
 * user runs it (a subprocess of `src/main.ts`):
 *
 * 1. on a one-partition input, one `featurize` and one `learn` end with weights bitwise equal to
 *    `train`'s on the same input;
 * 2. three featurizers (started one after the other, so the group rebalances while they work:
 *    partitions move, are replayed from their start and their rows suppressed below the
 *    committed offset) and learners on a six-partition topic with bad records mixed in: every
 *    valid event trained once, each input partition's count and next offset on `/weights` equal
 *    to what was written to it, the bad records counted by reason, the log loss within 0.5% of
 *    `train`'s over the same input;
 * 3. a learner killed with SIGKILL (with its `deno task` parent) at a random moment from a
 *    printed seed, and restarted one second later, still ends exact;
 * 4. two replicas hold bitwise identical weights at the end, and a third, started afresh once
 *    the log is complete (a fresh `learn` replaying the same feature log), catches up to them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Random } from "../../src/util/random.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
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
  spawnTrain,
  type TrainProcess,
  waitForWeights,
  type WeightsBody,
} from "../_helpers/train_process.ts";

const cluster = await testCluster();
const brokers = cluster.brokers;

/** Short triggers; the learner checkpoints every second, so a kill falls between checkpoints. */
/** Featurizers snapshot their sessions every second, so a partition that moves is restored. */
const FEATURIZE = ["--trigger", "300ms", "--report-every", "20", "--snapshot-interval", "1s"];
const LEARN = [
  "--trigger",
  "300ms",
  "--max-batch-events",
  "20000",
  "--checkpoint-interval",
  "1s",
  "--report-every",
  "50",
];
const TRAIN = ["--trigger", "300ms", "--checkpoint-interval", "5s", "--report-every", "50"];

/** What must be bitwise equal between two models: weights, intercept, updates, the metrics. */
function model(w: WeightsBody) {
  return {
    weights: w.weights,
    intercept: w.intercept,
    updates: w.updates,
    events: w.events_trained,
    logLoss: w.metrics.cumulative.log_loss,
    auc: w.metrics.cumulative.auc,
  };
}

/** Every partition learnt up to its end. */
function complete(w: WeightsBody, ends: readonly number[]): boolean {
  return ends.every((end, p) => w.sources?.find((s) => s.partition === p)?.next_offset === end);
}

async function tempDir(prefix: string): Promise<string> {
  return await Deno.makeTempDir({ prefix: `scale-out-${prefix}-` });
}

/** Stops every process (SIGINT), and asserts that each that was meant to stop cleanly did. */
async function stopAll(processes: readonly (ProgramProcess | undefined)[]): Promise<void> {
  const t0 = performance.now();
  const exits = await Promise.all(processes.map(async (p) => {
    const exit = await p?.stop("SIGINT");
    return exit && { ...exit, ms: Math.round(performance.now() - t0) };
  }));
  exits.forEach((exit, i) => {
    if (exit !== undefined && exit.signal !== "SIGKILL") {
      assert.equal(
        exit.code,
        0,
        `process ${i} (stopped after ${exit.ms} ms): ${exit.stderr.slice(-2000)}\n${
          exit.stdout.slice(-3000)
        }`,
      );
    }
  });
}

const since = (t0: number) => `${Math.round((performance.now() - t0) / 1000)} s`;

Deno.test({
  name: "one featurizer and one learner on a one-partition topic: weights bitwise equal to train's",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const N = 60_000;
    const topic = uniqueTopic("scale-one");
    const dirs = [await tempDir("train"), await tempDir("learn")];
    const t0 = performance.now();
    const fill = await fillPartitions(brokers, topic, {
      n: N,
      seed: 31,
      partitions: 1,
      badEvery: 400,
    });
    const processes: (ProgramProcess | undefined)[] = [];
    await using admin = await KafkaAdmin.connect(testClient(brokers));
    try {
      const train = spawnTrain(brokers, topic, {
        stateDir: dirs[0],
        group: uniqueGroup("train"),
        args: TRAIN,
      });
      const featurizer = spawnFeaturize(brokers, topic, uniqueGroup("featurizers"), {
        args: FEATURIZE,
      });
      const learner = spawnLearn(brokers, topic, { stateDir: dirs[1], args: LEARN });
      processes.push(train, featurizer, learner);
      const [t, l] = await Promise.all([
        waitForWeights(train, (w) => w.events_trained >= fill.valid[0] && w.lag === 0, 300_000),
        waitForWeights(learner, (w) => complete(w, [N]), 300_000),
      ]);
      assert.equal(l.events_trained, fill.valid[0]);
      assert.deepEqual(l.bad_records, t.bad_records);
      assert.deepEqual(model(l), model(t), "learn's model is train's, bit for bit");
      const [log] = await admin.topicOffsets(`${topic}.features`);
      assert.equal(l.model_version, log.high, "the model version is the feature log's end");
      const [features] = await admin.topicReplicas(`${topic}.features`);
      assert.deepEqual([features.partition, features.replicas, features.isr], [0, [1, 2, 3], [
        1,
        2,
        3,
      ]]);
      assert.equal(await admin.partitionCount(`${topic}.features`), 1, "one partition");
      assert.equal(
        (await admin.topicConfigs(`${topic}.features`))["retention.ms"],
        "-1",
        "kept forever",
      );
      console.log(`${N} records: train and featurize + learn agree after ${since(t0)}`);
    } finally {
      await stopAll(processes);
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
      await dropTopics(brokers, topic, `${topic}.dlq`, `${topic}.features`, `${topic}.sessions`)
        .catch(() => {});
    }
  },
});

Deno.test({
  name:
    "three featurizers and learners on six partitions: exact per partition, replicas identical, a killed learner exact, a late one catches up",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const N = 200_000;
    const P = 6;
    const topic = uniqueTopic("scale-six");
    const featurizers = uniqueGroup("featurizers");
    const dirs = {
      train: await tempDir("train"),
      a: await tempDir("learn-a"),
      b: await tempDir("learn-b"),
      c: await tempDir("learn-c"),
    };
    const seed = testSeed("scale-out: the learner's kill moment");
    const random = new Random(seed);
    const t0 = performance.now();
    // Half the input is there before the featurizers start, half comes while they (re)balance.
    const options = { partitions: P, badEvery: 250 };
    const before = await fillPartitions(brokers, topic, { n: N / 2, seed: 41, ...options });
    const live = fillPartitions(brokers, topic, { n: N / 2, seed: 42, pauseMs: 500, ...options });
    const processes: (ProgramProcess | undefined)[] = [];
    const running = (p: TrainProcess) => (processes.push(p), p);
    try {
      const train = running(spawnTrain(brokers, topic, {
        stateDir: dirs.train,
        group: uniqueGroup("train"),
        args: TRAIN,
      }));
      // The learners wait for rows; then featurizers join one after the other, each join
      // rebalancing the group mid-stream.
      let a = running(spawnLearn(brokers, topic, { stateDir: dirs.a, args: LEARN, viaTask: true }));
      const b = running(spawnLearn(brokers, topic, { stateDir: dirs.b, args: LEARN }));
      const members: TrainProcess[] = [];
      for (let i = 0; i < 3; i++) {
        members.push(spawnFeaturize(brokers, topic, featurizers, { args: FEATURIZE }));
        processes.push(members[i]);
        if (i < 2) await new Promise((r) => setTimeout(r, 4000));
      }
      const fill = addFills(before, await live);
      const valid = fill.valid.reduce((a, b) => a + b, 0);
      const ends = fill.valid.map((v, p) => v + fill.bad[p]);
      console.log(`wrote ${N} records (${valid} valid) to ${P} partitions in ${since(t0)}`);

      await t.step(
        "a learner killed with SIGKILL, with its parent, and restarted 1 s later",
        async () => {
          const target = Math.floor(valid * (0.15 + 0.5 * random.next()));
          const before = await waitForWeights(a, (w) => w.events_trained >= target, 300_000);
          await new Promise((r) => setTimeout(r, random.nextInt(300)));
          const killed = killTree(a.pid);
          assert.ok(killed.length >= 2, `the task and its learner: ${killed}`);
          assert.equal((await a.exited).signal, "SIGKILL");
          console.log(
            `killed learner ${
              killed.join(", ")
            } at about ${before.events_trained} events, model version ${before.model_version} (seed ${seed})`,
          );
          await new Promise((r) => setTimeout(r, 1000));
          a = running(spawnLearn(brokers, topic, { stateDir: dirs.a, args: LEARN, viaTask: true }));
          await waitForWeights(a, () => true, 120_000);
          assert.match(a.output(), /took over the stale lock of process \d+/);
          console.log(
            a.output().split("\n").find((l) => l.startsWith("resuming from")) ??
              "no checkpoint yet: learning from the start",
          );
        },
      );

      const [wa, wb, wt] = await Promise.all([
        waitForWeights(a, (w) => complete(w, ends), 420_000),
        waitForWeights(b, (w) => complete(w, ends), 420_000),
        waitForWeights(train, (w) => w.events_trained >= valid && w.lag === 0, 420_000),
      ]);
      console.log(`featurized and learnt ${N} records on ${P} partitions in ${since(t0)}`);
      const handovers = members.flatMap((m) =>
        [...m.output().matchAll(/(\d+) \(read from (\d+), write from (\d+)\)/g)]
          .filter((x) => Number(x[3]) > Number(x[2]))
          .map((x) => `${x[1]}: replayed ${x[2]}..${x[3]}`)
      );
      console.log(
        `partitions taken over mid-stream and replayed: ${handovers.join("; ") || "none"}`,
      );
      const restores = members.flatMap((m) =>
        [
          ...m.output().matchAll(
            /restored partition (\d+) from its snapshot at offset (\d+) \((\d+) bytes, (\d+) ms\)/g,
          ),
        ]
          .map((x) => `${x[1]} at ${x[2]} (${x[3]} B, ${x[4]} ms)`)
      );
      const pauses = members.flatMap((m) =>
        [...m.output().matchAll(/partitions ([\d,]+) paused (\d+) ms/g)].map((x) =>
          `${x[1]}: ${x[2]} ms`
        )
      );
      console.log(`restored from session snapshots: ${restores.join("; ") || "none"}`);
      console.log(`assignment pauses for session state: ${pauses.join("; ") || "none"}`);
      // The third featurizer joins seconds after the first saved its first snapshots: a
      // partition it is given is restored, not replayed from its start.
      assert.ok(restores.length > 0, "some partition that moved was restored from a snapshot");

      await t.step(
        "the featurizers' /metrics: every partition held once, none lagging",
        async () => {
          // The end offsets behind the lag are read every 2 s: poll a bounded number of times.
          let held: string[] = [], lagging: string[] = [];
          for (let attempt = 0; attempt < 20; attempt++) {
            held = [];
            lagging = [];
            for (const m of members) {
              const text = await (await fetch(`${m.url}/metrics`)).text();
              for (
                const x of text.matchAll(
                  /^clickstream_featurizer_lag_records\{partition="(\d+)"\} (\S+)$/gm,
                )
              ) {
                held.push(x[1]);
                if (x[2] !== "0") lagging.push(`${x[1]}: ${x[2]}`);
              }
            }
            if (held.length === P && lagging.length === 0) break;
            await new Promise((r) => setTimeout(r, 500));
          }
          assert.deepEqual(held.sort(), ["0", "1", "2", "3", "4", "5"], "each partition held once");
          assert.deepEqual(lagging, [], "no partition lagging");
          for (const m of members) assert.equal((await fetch(`${m.url}/healthz`)).status, 200);
        },
      );

      await t.step("every valid event trained once; each partition's count and next offset", () => {
        for (const [name, w] of [["a", wa], ["b", wb]] as const) {
          assert.equal(w.events_trained, valid, `learner ${name}`);
          assert.deepEqual(
            w.sources,
            fill.valid.map((v, p) => ({ partition: p, events_trained: v, next_offset: ends[p] })),
            `learner ${name}: per partition`,
          );
          assert.deepEqual(w.bad_records, fill.badByReason, `learner ${name}: bad records`);
        }
        console.log(
          `rows skipped as repeats (featurizer replays and handovers, redelivery): a ${wa.skipped_records}, b ${wb.skipped_records}`,
        );
      });

      await t.step("the log loss is within 0.5% of train's over the same input", () => {
        const ours = wa.metrics.cumulative.log_loss, theirs = wt.metrics.cumulative.log_loss;
        assert.equal(wt.events_trained, valid);
        assert.ok(
          Math.abs(ours - theirs) <= 0.005 * theirs,
          `learn ${ours}, train ${theirs}: ${(100 * Math.abs(ours - theirs) / theirs).toFixed(3)}%`,
        );
        console.log(`log loss: learn ${ours.toFixed(5)}, train ${theirs.toFixed(5)}`);
      });

      await t.step("two replicas (one killed and restarted) hold bitwise identical models", () => {
        assert.equal(wa.model_version, wb.model_version);
        assert.deepEqual(model(wa), model(wb));
      });

      await t.step(
        "a fresh learner replaying the feature log catches up to the same model",
        async () => {
          const c = running(spawnLearn(brokers, topic, { stateDir: dirs.c, args: LEARN }));
          const wc = await waitForWeights(c, (w) => w.model_version === wa.model_version, 300_000);
          assert.deepEqual(model(wc), model(wa));
          assert.deepEqual(wc.sources, wa.sources);
          console.log(
            `the late replica caught up to model version ${wc.model_version} in ${since(t0)}`,
          );
        },
      );
    } finally {
      await stopAll(processes);
      for (const dir of Object.values(dirs)) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
      await dropTopics(brokers, topic, `${topic}.dlq`, `${topic}.features`, `${topic}.sessions`)
        .catch(() => {});
    }
  },
});
