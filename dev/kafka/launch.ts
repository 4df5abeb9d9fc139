/**
 * `deno task kafka`: runs a local Apache Kafka (KRaft) broker — or, with `--brokers 3`, a cluster
 * of three (`cluster.ts`) — in the foreground until Ctrl-C or SIGTERM, then stops it cleanly. The
 * data directory survives, so the next run keeps the topics.
 *
 * ```sh
 * deno task kafka                       # 127.0.0.1:9092, data in .cache/kafka/data
 * deno task kafka --port 19092 --controller-port 19093 --data-dir /tmp/kafka
 * deno task kafka --brokers 3           # 127.0.0.1:9092,9094,9096, data in .cache/kafka/cluster-3
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startBroker } from "./broker.ts";
import { MAX_CLUSTER_BROKERS, startCluster } from "./cluster.ts";
import { REPO_ROOT } from "./jars.ts";

const USAGE = `Usage: deno task kafka [flags]

Runs a local Apache Kafka 4.1.2 broker (KRaft, broker + controller in one JVM) on 127.0.0.1
until Ctrl-C. The jars are resolved from Maven Central once into .cache/kafka/lib.

With --brokers 3, a cluster: three such JVMs (384 MB of heap each), one controller quorum of
all three, replication factor 3 and min.insync.replicas=2 for new and internal topics. Broker i
(0, 1, 2) listens on --port + 2i and --controller-port + 2i: 9092,9094,9096 for clients and
9093,9095,9097 for the controllers by default. It prints the bootstrap list; Ctrl-C stops all.

Flags:
  --brokers <n>          brokers, 1..${MAX_CLUSTER_BROKERS} (default 1)
  --port <n>             client port (of the first broker; default 9092)
  --controller-port <n>  KRaft controller port (of the first broker; default 9093)
  --data-dir <path>      data directory, kept between runs (default .cache/kafka/data, and
                         .cache/kafka/cluster-<n> for --brokers n > 1)
  --help                 print this help
`;

function parsePort(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `Cannot start the broker: --${name} must be a port 1..65535, got "${value}".`,
    );
  }
  return port;
}

/** A running broker or cluster, as the launcher shows and stops it. */
interface Running {
  bootstrap: string;
  /** Where the logs and data are, one line each. */
  about: string[];
  /** Resolves with a message naming the log when a JVM exits on its own. */
  whenExited(): Promise<string>;
  stop(): Promise<void>;
}

async function start(
  brokers: number,
  port: number,
  controllerPort: number,
  dataDir: string | undefined,
  signal: AbortSignal,
): Promise<Running> {
  const onProgress = (line: string) => console.error(line);
  if (brokers === 1) {
    const broker = await startBroker({
      port,
      controllerPort,
      dataDir: dataDir ?? `${REPO_ROOT}/.cache/kafka/data`,
      onProgress,
      signal,
    });
    return {
      bootstrap: broker.brokers,
      about: [`log file:  ${broker.logFile}`, `data dir:  ${broker.dataDir}`],
      whenExited: async () =>
        `the broker exited on its own (code ${await broker.whenExited()}); see ${broker.logFile}`,
      stop: () => broker.stop(),
    };
  }
  const every = (first: number) => Array.from({ length: brokers }, (_, i) => first + 2 * i);
  const cluster = await startCluster({
    brokers,
    ports: every(port),
    controllerPorts: every(controllerPort),
    dataDir: dataDir ?? `${REPO_ROOT}/.cache/kafka/cluster-${brokers}`,
    onProgress,
    signal,
  });
  return {
    bootstrap: cluster.brokers,
    about: [
      `data dir:  ${cluster.dataDir} (cluster ${cluster.clusterId})`,
      ...cluster.nodes.map((n, i) =>
        `broker ${i + 1}: ${n.brokers} (controller ${n.controllerPort}), log ${n.logFile}`
      ),
    ],
    whenExited: async () => {
      const { index, code } = await cluster.whenExited();
      return `broker ${index + 1} of the cluster exited on its own (code ${code}); see ${
        cluster.nodes[index].logFile
      }`;
    },
    stop: () => cluster.stop(),
  };
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        brokers: { type: "string", default: "1" },
        port: { type: "string", default: "9092" },
        "controller-port": { type: "string", default: "9093" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let port: number, controllerPort: number, brokers: number;
  try {
    brokers = Number(values.brokers);
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > MAX_CLUSTER_BROKERS) {
      throw new RangeError(
        `Cannot start Kafka: --brokers must be an integer 1..${MAX_CLUSTER_BROKERS}, got "${values.brokers}".`,
      );
    }
    port = parsePort("port", values.port);
    controllerPort = parsePort("controller-port", values["controller-port"]);
    for (const [name, first] of [["port", port], ["controller-port", controllerPort]] as const) {
      if (first + 2 * (brokers - 1) > 65535) {
        throw new RangeError(
          `Cannot start ${brokers} brokers: --${name} ${first} + 2 per broker passes 65535.`,
        );
      }
    }
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const kafka = await start(brokers, port, controllerPort, values["data-dir"], stopping.signal);
    try {
      console.log(`Kafka 4.1.2 is up: bootstrap ${kafka.bootstrap}`);
      for (const line of kafka.about) console.log(`  ${line}`);
      console.log(`Press Ctrl-C to stop.`);
      const stopped = new Promise<"stop">((resolve) => {
        if (stopping.signal.aborted) resolve("stop");
        stopping.signal.addEventListener("abort", () => resolve("stop"), { once: true });
      });
      const outcome = await Promise.race([stopped, kafka.whenExited()]);
      if (outcome !== "stop") {
        console.error(`kafka: ${outcome}`);
        return 1;
      }
      console.log("stopping Kafka ...");
    } finally {
      await kafka.stop();
    }
    console.log("Kafka stopped.");
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    console.error(
      `kafka: ${message}${/port .* is in use/.test(message) ? " (--port, --controller-port)" : ""}`,
    );
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
