/**
 * The cluster launcher (`kafka/cluster.ts`) and `deno task kafka --brokers 3`: refusals before
 * anything starts (a taken port, bad counts and indexes), the bootstrap list, topics kept across
 * runs of the same data directory, JVMs that die with their owner, and Ctrl-C stopping them all.
 * The second test starts its own cluster (twice) beside the run's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BrokerStartError, freePorts } from "../../dev/kafka/broker.ts";
import { startCluster } from "../../dev/kafka/cluster.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { testCluster } from "../_helpers/cluster.ts";
import { testClient, uniqueTopic } from "../_helpers/kafka.ts";
import { spawnLaunch } from "../_helpers/launch_process.ts";

const cluster = await testCluster();
const opts = { sanitizeOps: false, sanitizeResources: false };

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Whether `pid` runs: it exists and is not a zombie (an orphan that its reaper has not reaped). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** A pid with its state and command line, for a failure message. */
function describe(pid: number): string {
  const read = (f: string) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/${f}`).replaceAll("\0", " ").slice(0, 200);
    } catch {
      return "(gone)";
    }
  };
  return `${pid}: ${read("stat").split(" ").slice(2, 4).join(" ")} ${read("cmdline")}`;
}

/** A base port b with b..b+5 all free: `--port b --controller-port b+1` for 3 brokers. */
function freeRun(): number {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 15_000);
    const ports = [0, 1, 2, 3, 4, 5].map((i) => base + i);
    const free = ports.every((port) => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
        return true;
      } catch {
        return false;
      }
    });
    if (free) return base;
  }
  throw new Error("no run of 6 free ports found");
}

Deno.test(
  "startCluster() refuses a taken port, bad counts and repeated ports before starting anything; a bad index is refused",
  opts,
  async () => {
    const taken = Number(cluster.brokers.split(",")[0].split(":")[1]);
    const dataDir = await Deno.makeTempDir({ prefix: "clickstream-cluster-refused-" });
    try {
      const [p2, p3] = freePorts(2, [taken]);
      await assert.rejects(
        startCluster({ brokers: 3, ports: [taken, p2, p3], dataDir }),
        (e: unknown) =>
          e instanceof BrokerStartError &&
          e.message.includes(
            `broker 1 of the cluster: its client port 127.0.0.1:${taken} is in use`,
          ),
      );
      for (const id of [1, 2, 3]) {
        assert.equal(await exists(`${dataDir}/broker-${id}/logs/meta.properties`), false);
      }
      await assert.rejects(
        startCluster({ brokers: 0 }),
        /brokers must be an integer 1\.\.9, got 0/,
      );
      await assert.rejects(
        startCluster({ brokers: 2, ports: [p2, p3], controllerPorts: [p3, taken + 1] }),
        new RegExp(`port ${p3} is given twice`),
      );
      await assert.rejects(
        startCluster({ brokers: 3, ports: [p2, p3] }),
        /ports must list 3 ports \(one a broker\), got 2/,
      );
      await assert.rejects(
        cluster.stopBroker(3),
        /No broker at index 3 in a cluster of 3: the index is 0\.\.2/,
      );
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

Deno.test(
  "deno task kafka --brokers 3 prints the bootstrap list, keeps topics across runs, dies with its owner, and Ctrl-C stops all",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "clickstream-cluster-launch-" });
    const base = freeRun();
    const launch = (...extra: string[]) =>
      spawnLaunch(["--brokers", "3", "--data-dir", dataDir, ...extra]);
    const ports = ["--port", String(base), "--controller-port", String(base + 1)];
    const bootstrap = [0, 2, 4].map((i) => `127.0.0.1:${base + i}`).join(",");
    const waitUp = async (l: ReturnType<typeof launch>) => {
      const out = await l.waitUp(180_000);
      assert.ok(out.includes(`Kafka 4.1.2 is up: bootstrap ${bootstrap}\n`), out);
    };
    const jvms = async () =>
      await Promise.all(
        [1, 2, 3].map(async (id) =>
          Number((await Deno.readTextFile(`${dataDir}/broker-${id}/broker.pid`)).trim())
        ),
      );
    const topic = uniqueTopic("launch");
    try {
      const first = launch(...ports);
      await waitUp(first);
      assert.match(first.out(), /broker 3: 127\.0\.0\.1:\d+ \(controller \d+\), log .*broker-3/);
      {
        await using admin = await KafkaAdmin.connect(testClient(bootstrap));
        await admin.ensureTopic(topic);
        assert.deepEqual((await admin.topicReplicas(topic))[0].replicas, [1, 2, 3]);
      }
      // The owner dies without stopping anything: the supervisors stop the JVMs.
      const pids = await jvms();
      first.child.kill("SIGKILL");
      await first.done();
      const deadline = Date.now() + 90_000;
      while (pids.some(alive) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(pids.filter(alive), [], "every JVM is gone with its owner");

      // The same data directory is the same cluster: other ports or counts are refused ...
      const refused = await launch("--port", String(base + 10)).done();
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /holds a cluster of 3 brokers on client ports/);

      // ... and its ports bring it back with its topics; Ctrl-C stops every broker.
      const second = launch(...ports);
      await waitUp(second);
      {
        await using admin = await KafkaAdmin.connect(testClient(bootstrap));
        assert.ok((await admin.listTopics()).includes(topic), "the topic survived");
      }
      const again = await jvms();
      second.child.kill("SIGINT");
      const clean = await second.done();
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /Kafka stopped\./);
      // The launcher waits for each broker's supervising shell, which reaps its JVM; allow the
      // kernel a moment under load, and name what still runs if anything does.
      const stopDeadline = Date.now() + 10_000;
      while (again.some(alive) && Date.now() < stopDeadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(again.filter(alive).map(describe), [], "Ctrl-C stopped every JVM");
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("deno task kafka --help documents --brokers; a bad count is refused", opts, async () => {
  const run = (...args: string[]) => spawnLaunch(args).done();
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--brokers <n> +brokers, 1\.\.9 \(default 1\)/);
  assert.match(help.stdout, /min\.insync\.replicas=2/);
  const bad = await run("--brokers", "x");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--brokers must be an integer 1\.\.9, got "x"/);
});
