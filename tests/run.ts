/**
 * The `test` task. First, before the Kafka jars are resolved or a broker starts, it makes sure
 * the external programs the tests run are there (`tests/_helpers/tools.ts` lists them with their
 * Debian packages): missing ones are installed with `apt-get` when it runs as root or has
 * password-less sudo (`sudo -n`); otherwise it exits 1 at once with one line naming the command
 * to run, e.g. `sudo apt-get update && sudo apt-get install -y chromium prometheus` (see
 * `tests/_helpers/setup_check.ts`). Then two runs, one after the other:
 *
 * 1. Every test except the cluster tests (files named `*_cluster_test.ts`): ONE local Kafka
 *    broker (free ports, temporary data directory) for the whole run unless `KAFKA_BROKERS` is
 *    set, and `deno test -A --parallel` with `KAFKA_BROKERS` pointing at it; the broker stops
 *    when the run ends.
 * 2. The cluster tests: a 3-broker cluster (`kafka/cluster.ts`), and `deno test -A` WITHOUT
 *    `--parallel` (three JVMs and several test processes at once miss heartbeats on two cores),
 *    with `KAFKA_BROKERS` set to the cluster's bootstrap list and `KAFKA_CLUSTER_CONTROL` to the
 *    endpoint through which the tests stop and start its brokers (`tests/_helpers/cluster.ts`);
 *    the cluster stops when the run ends.
 *
 * Arguments pass through to `deno test`. Those that are paths choose the tests: a run whose
 * selection is empty is skipped (`deno task test tests/stream/` runs only the first,
 * `deno task test tests/cluster/` only the second). `--cluster-only` (the `test:cluster` task)
 * runs only the second. Each run prints deno test's own summary; after both, one more line in
 * the same format sums them (a run that ended without a summary — it could not start its
 * cluster, or did not type-check — counts as one failed test), and the exit code is non-zero
 * when either run failed.
 *
 * ```sh
 * deno task test                       # everything: the parallel run, then the cluster run
 * deno task test tests/kafka/          # one folder (any deno test arguments)
 * deno task test:cluster               # only the cluster tests
 * KAFKA_BROKERS=127.0.0.1:9092 deno task test   # the first run uses a running broker
 * ```
 *
 * @module
 */

import { type BrokerHandle, startBroker } from "../kafka/broker.ts";
import { type ClusterHandle, startCluster } from "../kafka/cluster.ts";
import { REPO_ROOT } from "../kafka/jars.ts";
import { CLUSTER_CONTROL_ENV, serveClusterControl } from "./_helpers/cluster.ts";
import { ensureTestTools, systemProbes, ToolSetupError } from "./_helpers/setup_check.ts";
import {
  addSummaries,
  formatSummary,
  parseSummary,
  type RunSummary,
} from "./_helpers/test_summary.ts";
import { selectTests, splitTestArgs } from "./_helpers/test_selection.ts";

const CLUSTER_BROKERS = 3;

function say(line: string): void {
  console.error(`tests/run: ${line}`);
}

/** Paths of `deno.json` `exclude` and `test.exclude`: `--ignore` replaces them, so repeat them. */
async function configExcludes(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)) as {
    exclude?: string[];
    test?: { exclude?: string[] };
  };
  return [...new Set([...(config.exclude ?? []), ...(config.test?.exclude ?? [])])];
}

/**
 * Runs `deno <args>` with `env`, its output passed through as it comes, and returns its exit
 * code and the last deno test summary line of its standard output.
 */
async function denoTest(
  args: string[],
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<{ code: number; summary: RunSummary | undefined }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "inherit",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const onAbort = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  let summary: RunSummary | undefined;
  let partial = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop()!;
    for (const line of lines) summary = parseSummary(line) ?? summary;
  }
  summary = parseSummary(partial) ?? summary;
  const status = await child.status;
  signal.removeEventListener("abort", onAbort);
  return { code: status.code, summary };
}

/** One run's outcome, for the closing line. */
interface Outcome {
  name: string;
  code: number;
  summary: RunSummary | undefined;
}

async function parallelRun(
  args: string[],
  ignore: string[],
  signal: AbortSignal,
): Promise<Outcome> {
  const name = "the parallel run";
  const env: Record<string, string> = {};
  let broker: BrokerHandle | undefined;
  try {
    if (!Deno.env.get("KAFKA_BROKERS")) {
      const t0 = performance.now();
      try {
        broker = await startBroker({ onProgress: say, signal });
      } catch (error) {
        say(`could not start the test broker: ${(error as Error).message}`);
        return { name, code: 1, summary: undefined };
      }
      env.KAFKA_BROKERS = broker.brokers;
      say(
        `Kafka 4.1.2 at ${broker.brokers} (started in ${
          Math.round(performance.now() - t0)
        } ms, log ${broker.logFile})`,
      );
    }
    const { code, summary } = await denoTest(
      ["test", "-A", "--parallel", `--ignore=${ignore.join(",")}`, ...args],
      env,
      signal,
    );
    return { name, code, summary };
  } finally {
    if (broker) await broker[Symbol.asyncDispose]();
  }
}

async function clusterRun(
  flags: string[],
  files: string[],
  signal: AbortSignal,
): Promise<Outcome> {
  const name = "the cluster run";
  let cluster: ClusterHandle | undefined;
  const t0 = performance.now();
  try {
    try {
      cluster = await startCluster({ brokers: CLUSTER_BROKERS, onProgress: say, signal });
    } catch (error) {
      say(
        `could not start the ${CLUSTER_BROKERS}-broker test cluster: ${(error as Error).message}`,
      );
      return { name, code: 1, summary: undefined };
    }
    say(
      `Kafka 4.1.2 cluster of ${CLUSTER_BROKERS} at ${cluster.brokers} (started in ${
        Math.round(performance.now() - t0)
      } ms, logs under ${cluster.dataDir}); ${files.length} cluster test file(s), one at a time`,
    );
    await using control = serveClusterControl(cluster);
    const { code, summary } = await denoTest(
      ["test", "-A", ...flags, ...files],
      { KAFKA_BROKERS: cluster.brokers, [CLUSTER_CONTROL_ENV]: control.url },
      signal,
    );
    return { name, code, summary };
  } finally {
    if (cluster) await cluster[Symbol.asyncDispose]();
    say(`the cluster run took ${Math.round((performance.now() - t0) / 1000)} s in all`);
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    await ensureTestTools(systemProbes(say));
  } catch (error) {
    if (!(error instanceof ToolSetupError)) throw error;
    say(error.message);
    return 1;
  }
  const clusterOnly = argv.includes("--cluster-only");
  const args = argv.filter((a) => a !== "--cluster-only");
  const { paths, flags, withoutClusterFiles } = splitTestArgs(args, (path) => {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  });
  const excludes = await configExcludes();
  const selection = await selectTests(paths.length > 0 ? paths : ["."], excludes);
  const runOther = !clusterOnly && selection.other;
  const runCluster = selection.cluster.length > 0;
  if (!runOther && !runCluster) {
    say(
      `no test files in ${paths.join(" ") || "."}${clusterOnly ? " named *_cluster_test.ts" : ""}`,
    );
    return 1;
  }

  const t0 = performance.now();
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const outcomes: Outcome[] = [];
  try {
    // deno.json's excludes again (--ignore replaces them) and every cluster test file; cluster
    // files named among the paths are left out of the arguments (--ignore misses those outside
    // this folder).
    const ignore = [...excludes, "**/*_cluster_test.ts"];
    if (runOther) {
      outcomes.push(await parallelRun(withoutClusterFiles, ignore, stopping.signal));
    }
    if (runCluster && !stopping.signal.aborted) {
      outcomes.push(await clusterRun(flags, selection.cluster, stopping.signal));
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  const planned = (runOther ? 1 : 0) + (runCluster ? 1 : 0);
  for (const o of outcomes) {
    if (!o.summary) say(`${o.name} ended (exit ${o.code}) without a summary: 1 failed`);
  }
  if (outcomes.length < planned) {
    say(`stopped before ${planned - outcomes.length} run(s): 1 failed each`);
  }
  const missing = outcomes.filter((o) => !o.summary).length + planned - outcomes.length;
  if (planned > 1 || missing > 0) {
    const total = addSummaries(outcomes.flatMap((o) => o.summary ? [o.summary] : []));
    total.failed += missing;
    // A run that failed without a failed test (deno test's own error) still fails the total.
    total.failed += outcomes.filter((o) => o.summary && o.code !== 0 && o.summary.failed === 0)
      .length;
    total.ms = performance.now() - t0;
    say(`${outcomes.map((o) => o.name).join(" and ")}, together:`);
    console.log(formatSummary(total));
  }
  return outcomes.length < planned ? 1 : outcomes.find((o) => o.code !== 0)?.code ?? 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
