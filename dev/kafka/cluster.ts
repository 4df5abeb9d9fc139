/**
 * A real local Apache Kafka cluster of several KRaft nodes on 127.0.0.1, for `deno task kafka
 * --brokers 3` and the cluster tests. Every node is one JVM that is both broker and controller
 * (`process.roles=broker,controller`), started by `startBroker()` of `broker.ts` with a
 * {@linkcode QuorumMember}: one controller quorum of all the nodes, formatted with
 * `kafka-storage format --initial-controllers` (a static set of voters, KIP-853's dynamic quorum
 * format), replication factor 3 and `min.insync.replicas=2` for topics and the internal topics.
 * `startCluster()` waits until every broker is in every broker's metadata and the group
 * coordinator answers, and returns a handle that stops and starts one broker by index, or all.
 *
 * ```ts
 * await using cluster = await startCluster({ brokers: 3 });
 * console.log(cluster.brokers); // "127.0.0.1:40123,127.0.0.1:40125,127.0.0.1:40127"
 * await cluster.stopBroker(1);
 * await cluster.startBroker(1);
 * ```
 *
 * The cluster's ids and ports are kept in `<dataDir>/cluster.json` so that a later start with the
 * same data directory is the same cluster (its voters are recorded with their controller ports).
 *
 * @module
 */

import {
  type BrokerHandle,
  type BrokerOptions,
  BrokerStartError,
  freePorts,
  kafkaUuid,
  probeCoordinator,
  probeMetadata,
  type QuorumVoter,
  refuseTakenPorts,
  startBroker,
} from "./broker.ts";
import { ensureJars } from "./jars.ts";

/** The most brokers {@linkcode startCluster} starts. */
export const MAX_CLUSTER_BROKERS = 9;

/** Options of {@linkcode startCluster}. */
export interface ClusterOptions extends
  Pick<
    BrokerOptions,
    "jvmArgs" | "java" | "libDir" | "stopTimeoutMs" | "onProgress" | "signal"
  > {
  /** Number of brokers, 1..{@linkcode MAX_CLUSTER_BROKERS}. Default: `3`. */
  brokers?: number;
  /**
   * The client port of each broker on 127.0.0.1. Default: the ports in `cluster.json` of an
   * existing data directory, else free ports picked at start.
   */
  ports?: readonly number[];
  /** The controller port of each broker. Default: as `ports`. */
  controllerPorts?: readonly number[];
  /**
   * The cluster's directory: `cluster.json` and one data directory per broker, `broker-<id>`.
   * A later start with the same directory keeps the topics. Default: a new temporary directory,
   * removed when the handle is disposed.
   */
  dataDir?: string;
  /** Remove the data directory on dispose. Default: `true` for the default temporary directory, else `false`. */
  removeDataDir?: boolean;
  /**
   * Extra or overriding `server.properties` entries of every broker, over
   * {@linkcode clusterProperties}. Default: none.
   */
  properties?: Record<string, string | number | boolean>;
  /** JVM heap of each broker, both `-Xmx` and `-Xms`. Default: `"384m"`. */
  heap?: string;
  /**
   * How long to wait for the whole cluster: every broker in every broker's metadata and a group
   * coordinator. Default: `180_000` ms.
   */
  startTimeoutMs?: number;
}

/** A running (or partly or wholly stopped) local cluster. */
export interface ClusterHandle extends AsyncDisposable {
  /** Bootstrap list for clients: every broker, `127.0.0.1:<port>,...`. */
  readonly brokers: string;
  /** The number of brokers. */
  readonly size: number;
  /** Each broker's handle; index `i` is node id `i + 1`. */
  readonly nodes: readonly BrokerHandle[];
  /** The cluster id. */
  readonly clusterId: string;
  /** The cluster's directory. */
  readonly dataDir: string;
  /** Stops broker `index` (0-based) cleanly; the others keep serving. */
  stopBroker(index: number): Promise<void>;
  /**
   * Starts the stopped broker `index` again on its ports and data; waits until every running
   * broker lists every running broker in its metadata.
   */
  startBroker(index: number): Promise<void>;
  /** `stopBroker(index)` then `startBroker(index)`. */
  restartBroker(index: number): Promise<void>;
  /** Stops every broker (at once); keeps the data. */
  stop(): Promise<void>;
  /** Starts every stopped broker (at once) and waits as {@linkcode startCluster} does. */
  start(): Promise<void>;
  /**
   * Resolves with the index and exit code of the first running broker that exits; at once with
   * index `-1` when none is running.
   */
  whenExited(): Promise<{ index: number; code: number }>;
  /** Stops every broker and removes the data directory if `removeDataDir`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The `server.properties` entries of a cluster of `brokers` nodes over the single broker's
 * defaults: replication factor `min(3, brokers)` for new topics and the internal topics (group
 * offsets, transactions, share groups), and `min.insync.replicas` `min(2, that)`.
 */
export function clusterProperties(brokers: number): Record<string, number> {
  const replicas = Math.min(3, brokers);
  const minIsr = Math.min(2, replicas);
  return {
    "default.replication.factor": replicas,
    "min.insync.replicas": minIsr,
    "offsets.topic.replication.factor": replicas,
    "transaction.state.log.replication.factor": replicas,
    "transaction.state.log.min.isr": minIsr,
    "share.coordinator.state.topic.replication.factor": replicas,
    "share.coordinator.state.topic.min.isr": minIsr,
  };
}

/** What `cluster.json` holds: the ids and ports the nodes were formatted with. */
interface ClusterLayout {
  clusterId: string;
  nodes: { nodeId: number; port: number; controllerPort: number; directoryId: string }[];
}

function checkPortList(name: string, ports: readonly number[] | undefined, brokers: number): void {
  if (ports === undefined) return;
  if (ports.length !== brokers) {
    throw new RangeError(
      `Cannot start the cluster: ${name} must list ${brokers} ports (one a broker), got ${ports.length} (${
        ports.join(",")
      }).`,
    );
  }
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`Cannot start the cluster: ${name} has "${port}", not a port 1..65535.`);
    }
  }
}

async function readLayout(file: string): Promise<ClusterLayout | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const layout = JSON.parse(text) as ClusterLayout;
  if (typeof layout.clusterId !== "string" || !Array.isArray(layout.nodes)) {
    throw new TypeError(`Cannot start the cluster: ${file} is not a cluster layout.`);
  }
  return layout;
}

/** The saved layout of `dataDir`, checked against the options, or a new one (saved). */
async function resolveLayout(
  dataDir: string,
  brokers: number,
  options: ClusterOptions,
): Promise<ClusterLayout> {
  const file = `${dataDir}/cluster.json`;
  const saved = await readLayout(file);
  if (saved) {
    const same = (given: readonly number[] | undefined, key: "port" | "controllerPort") =>
      given === undefined || given.every((p, i) => saved.nodes[i]?.[key] === p);
    if (
      saved.nodes.length !== brokers || !same(options.ports, "port") ||
      !same(options.controllerPorts, "controllerPort")
    ) {
      throw new RangeError(
        `Cannot start the cluster: ${dataDir} holds a cluster of ${saved.nodes.length} brokers on client ports ${
          saved.nodes.map((n) => n.port).join(",")
        } and controller ports ${
          saved.nodes.map((n) => n.controllerPort).join(",")
        } (its controllers know each other by these); start it with those, or use another data directory.`,
      );
    }
    return saved;
  }
  const given = [...(options.ports ?? []), ...(options.controllerPorts ?? [])];
  const picked = freePorts(2 * brokers - given.length, given);
  const ports = options.ports ?? picked.splice(0, brokers);
  const controllerPorts = options.controllerPorts ?? picked.splice(0, brokers);
  const all = [...ports, ...controllerPorts];
  const twice = all.filter((p, i) => all.indexOf(p) !== i);
  if (twice.length > 0) {
    throw new RangeError(
      `Cannot start the cluster: port ${twice[0]} is given twice (client ports ${
        ports.join(",")
      }, controller ports ${controllerPorts.join(",")}).`,
    );
  }
  const layout: ClusterLayout = {
    clusterId: kafkaUuid(),
    nodes: ports.map((port, i) => ({
      nodeId: i + 1,
      port,
      controllerPort: controllerPorts[i],
      directoryId: kafkaUuid(),
    })),
  };
  await Deno.writeTextFile(file, JSON.stringify(layout, null, 2) + "\n");
  return layout;
}

/**
 * Starts a local cluster of `brokers` KRaft nodes (each broker and controller, one quorum of all)
 * and waits until every broker is in every broker's metadata and the group coordinator answers.
 * Resolves the jars first if needed. Throws {@linkcode BrokerStartError} (naming the broker, its
 * port or its log file) when a port is taken, a JVM exits or the cluster does not form within
 * `startTimeoutMs`; then nothing is left running.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<ClusterHandle> {
  options.signal?.throwIfAborted();
  const brokers = options.brokers ?? 3;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > MAX_CLUSTER_BROKERS) {
    throw new RangeError(
      `Cannot start the cluster: brokers must be an integer 1..${MAX_CLUSTER_BROKERS}, got ${brokers}.`,
    );
  }
  checkPortList("ports", options.ports, brokers);
  checkPortList("controllerPorts", options.controllerPorts, brokers);
  const libDir = await ensureJars({
    libDir: options.libDir,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const tempDir = options.dataDir === undefined;
  const made = options.dataDir ?? await Deno.makeTempDir({ prefix: "clickstream-kafka-cluster-" });
  await Deno.mkdir(made, { recursive: true });
  const dataDir = await Deno.realPath(made);
  const removeDataDir = options.removeDataDir ?? tempDir;
  try {
    const layout = await resolveLayout(dataDir, brokers, options);
    // Every port before any node is formatted or started: fail fast, start nothing.
    for (const node of layout.nodes) {
      refuseTakenPorts(`broker ${node.nodeId} of the cluster`, [
        ["client", node.port],
        ["controller", node.controllerPort],
      ], `${dataDir}/broker-${node.nodeId}/broker.log`);
    }
    const cluster = new LocalCluster(
      dataDir,
      layout,
      await startNodes(dataDir, layout, libDir, options),
      options,
      removeDataDir,
    );
    try {
      await cluster.waitFormed(options.startTimeoutMs ?? 180_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  } catch (error) {
    if (removeDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Starts every node at once (a node answers only once a majority of the quorum is up). When one
 * fails, the others are stopped and its error is thrown.
 */
async function startNodes(
  dataDir: string,
  layout: ClusterLayout,
  libDir: string,
  options: ClusterOptions,
): Promise<BrokerHandle[]> {
  const failing = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, failing.signal])
    : failing.signal;
  const voters: QuorumVoter[] = layout.nodes.map((n) => ({
    nodeId: n.nodeId,
    controllerPort: n.controllerPort,
    directoryId: n.directoryId,
  }));
  const heap = options.heap ?? "384m";
  let firstError: unknown;
  const started = await Promise.allSettled(layout.nodes.map((node) =>
    startBroker({
      port: node.port,
      controllerPort: node.controllerPort,
      dataDir: `${dataDir}/broker-${node.nodeId}`,
      removeDataDir: false,
      properties: { ...clusterProperties(layout.nodes.length), ...options.properties },
      heap,
      initialHeap: heap,
      jvmArgs: options.jvmArgs,
      java: options.java,
      libDir,
      startTimeoutMs: options.startTimeoutMs ?? 180_000,
      stopTimeoutMs: options.stopTimeoutMs,
      onProgress: options.onProgress,
      signal,
      quorum: { nodeId: node.nodeId, clusterId: layout.clusterId, voters },
    }).catch((error) => {
      firstError ??= error;
      failing.abort();
      throw error;
    })
  ));
  const nodes = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  if (nodes.length === started.length) return nodes;
  await Promise.all(nodes.map((n) => n.stop()));
  options.signal?.throwIfAborted();
  throw firstError;
}

class LocalCluster implements ClusterHandle {
  readonly dataDir: string;
  readonly nodes: readonly BrokerHandle[];
  #layout: ClusterLayout;
  #options: ClusterOptions;
  #removeDataDir: boolean;

  constructor(
    dataDir: string,
    layout: ClusterLayout,
    nodes: BrokerHandle[],
    options: ClusterOptions,
    removeDataDir: boolean,
  ) {
    this.dataDir = dataDir;
    this.#layout = layout;
    this.nodes = nodes;
    this.#expected = new Set(nodes.map((_, i) => i));
    this.#options = options;
    this.#removeDataDir = removeDataDir;
  }

  get brokers(): string {
    return this.nodes.map((n) => n.brokers).join(",");
  }
  get size(): number {
    return this.nodes.length;
  }
  get clusterId(): string {
    return this.#layout.clusterId;
  }

  #node(index: number): BrokerHandle {
    const node = Number.isInteger(index) ? this.nodes[index] : undefined;
    if (!node) {
      throw new RangeError(
        `No broker at index ${index} in a cluster of ${this.size}: the index is 0..${
          this.size - 1
        }.`,
      );
    }
    return node;
  }

  /**
   * Polls until every running broker lists every running broker in its metadata and (when
   * `coordinator`) the first running one finds a group coordinator.
   */
  async waitFormed(timeoutMs: number, coordinator = true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      const exited = this.nodes.find((n, i) => !n.running && this.#expected.has(i));
      if (exited) {
        throw new BrokerStartError(
          `${this.#title(exited)} exited while the cluster formed; see ${exited.logFile}`,
          exited.logFile,
        );
      }
      try {
        const counts = await Promise.all(running.map((n) => probeMetadata("127.0.0.1", n.port)));
        const short = counts.findIndex((c) => c !== running.length);
        if (short >= 0) {
          last = `${this.#title(running[short])} lists ${
            counts[short]
          } of ${running.length} brokers`;
        } else if (!coordinator || running.length === 0) {
          return;
        } else {
          const code = await probeCoordinator("127.0.0.1", running[0].port);
          if (code === 0) return;
          last = `no group coordinator yet (error code ${code})`;
        }
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline) {
        throw new BrokerStartError(
          `The Kafka cluster at ${this.brokers} did not form within ${timeoutMs} ms (${last}); see the logs under ${this.dataDir}`,
          this.nodes[0].logFile,
        );
      }
      this.#options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The indexes that should be running: a broker exiting meanwhile is an error. */
  #expected: Set<number>;

  #title(node: BrokerHandle): string {
    const index = this.nodes.indexOf(node);
    return `Kafka broker ${index + 1} (index ${index})`;
  }

  async stopBroker(index: number): Promise<void> {
    const node = this.#node(index);
    this.#expected.delete(index);
    await node.stop();
  }

  async startBroker(index: number): Promise<void> {
    const node = this.#node(index);
    await node.start();
    this.#expected.add(index);
    await this.waitFormed(this.#options.startTimeoutMs ?? 180_000, false);
  }

  async restartBroker(index: number): Promise<void> {
    await this.stopBroker(index);
    await this.startBroker(index);
  }

  async stop(): Promise<void> {
    this.#expected.clear();
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  async start(): Promise<void> {
    const stopped = this.nodes.flatMap((n, i) => n.running ? [] : [i]);
    await Promise.all(stopped.map((i) => this.nodes[i].start()));
    for (const i of stopped) this.#expected.add(i);
    await this.waitFormed(this.#options.startTimeoutMs ?? 180_000);
  }

  whenExited(): Promise<{ index: number; code: number }> {
    const running = this.nodes.flatMap((n, index) => n.running ? [{ n, index }] : []);
    if (running.length === 0) return Promise.resolve({ index: -1, code: 0 });
    return Promise.race(
      running.map(({ n, index }) => n.whenExited().then((code) => ({ index, code }))),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    if (this.#removeDataDir) await Deno.remove(this.dataDir, { recursive: true }).catch(() => {});
  }
}
