/**
 * The compiled-style run reads no files outside its state directory: `train` runs under
 * `deno run` with `--allow-read` and `--allow-write` limited to the state directory (no `-A`),
 * trains a topic and serves `/weights`. What else it is granted, and why:
 *
 * - `--allow-net=127.0.0.1`: the broker and the HTTP server (both on 127.0.0.1 here);
 * - `--allow-env`: `resolveConfig` reads the environment once (`Deno.env.toObject()`);
 * - `--allow-sys=hostname`: the state lock records the host it was taken on.
 *
 * Deno itself needs no read permission for the program's modules nor for the npm packages in
 * its cache (DENO_DIR): module loading, including kafkajs' CommonJS `require`s inside the npm
 * cache, is not subject to `--allow-read`. So the list below is the whole of it, from source as
 * in the compiled binary (which embeds the modules and packages). Dropping `--allow-sys=hostname`
 * fails at the lock ("Requires sys access to hostname"); dropping `--allow-env` fails at import
 * (kafkajs reads `NODE_ENV`).
 *
 * Known gap (src/stream/state_lock.ts): the lock reads `/proc/<pid>/stat` to tell a live owner
 * from a stale one, and Deno 2.9 grants `/proc/<pid>/*` only with `--allow-all` (not even with
 * `--allow-read=/proc`). Under these permissions that read fails, the owner looks dead, and a
 * second trainer takes the lock over instead of refusing. An OS file lock (`Deno.FsFile.lock()`)
 * on the LOCK file would need nothing beyond the state directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import {
  dropTopics,
  fillTopic,
  spawnTrain,
  type TrainExit,
  waitForWeights,
} from "../_helpers/train_process.ts";

const brokers = await testBrokers();

Deno.test({
  name: "train serves /weights with --allow-read and --allow-write limited to its state directory",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("perm");
    await fillTopic(brokers, topic, 500, 3);
    const stateDir = await Deno.realPath(await Deno.makeTempDir({ prefix: "clickstream-perm-" }));
    const train = spawnTrain(brokers, topic, {
      stateDir,
      group: uniqueGroup("perm"),
      args: ["--trigger", "200ms"],
      denoFlags: [
        "--no-prompt",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-sys=hostname",
        `--allow-read=${stateDir}`,
        `--allow-write=${stateDir}`,
      ],
    });
    let exit: TrainExit | undefined;
    try {
      await waitForWeights(train, (w) => w.events_trained === 500, 60_000);
    } finally {
      exit = await train.stop("SIGINT");
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
    const output = exit.stdout + exit.stderr;
    assert.equal(exit.code, 0, output.slice(-3000));
    assert.doesNotMatch(output, /NotCapable|Requires read access|PermissionDenied/, output);
    assert.match(output, /checkpoint of batch \d+ written/);
  },
});
