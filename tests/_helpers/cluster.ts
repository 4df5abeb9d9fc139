/**
 * The 3-broker cluster of the cluster tests (files named `*_cluster_test.ts`, under
 * `tests/cluster/`). `tests/run.ts` starts one cluster for the serial cluster run and lets the
 * test processes stop and start its brokers through a small HTTP control endpoint on 127.0.0.1
 * (`KAFKA_CLUSTER_CONTROL`, served by {@linkcode serveClusterControl}); the cluster's JVMs stay
 * owned by `tests/run.ts`. `testCluster()` returns that cluster, or, when a cluster test file runs
 * on its own (`deno test -A tests/cluster/x_cluster_test.ts`), starts one for the file and stops it
 * when the file unloads.
 *
 * ```ts
 * const cluster = await testCluster();
 * Deno.test("...", async () => {
 *   await cluster.stopBroker(2);
 *   // ...
 *   await cluster.startBroker(2);
 * });
 * ```
 *
 * @module
 */

import { type ClusterHandle, startCluster } from "../../dev/kafka/cluster.ts";
import { removeOnUnload } from "./kafka.ts";

/** The environment variable holding the control endpoint's URL. */
export const CLUSTER_CONTROL_ENV = "KAFKA_CLUSTER_CONTROL";

/** What a cluster test can do with the run's cluster. */
export interface TestCluster {
  /** Bootstrap list of every broker. */
  readonly brokers: string;
  /** The number of brokers. */
  readonly size: number;
  /** Stops broker `index` (0-based) cleanly. */
  stopBroker(index: number): Promise<void>;
  /** Starts broker `index` again; resolves when every running broker lists it in its metadata. */
  startBroker(index: number): Promise<void>;
  /** Stops and starts broker `index`. */
  restartBroker(index: number): Promise<void>;
}

/** A running control endpoint (see {@linkcode serveClusterControl}). */
export interface ClusterControlServer extends AsyncDisposable {
  /** Its URL, with a random token as the path: the value of `KAFKA_CLUSTER_CONTROL`. */
  readonly url: string;
}

const ACTIONS = ["stop", "start", "restart"] as const;

/**
 * Serves `cluster` on 127.0.0.1 (free port) for the test processes: `GET <url>` answers
 * `{ brokers, size }`, `POST <url>/brokers/<index>/stop|start|restart` runs that and answers
 * `{ ok: true }`, or `{ error }` with status 400 (a bad index or action) or 500 (it failed).
 */
export function serveClusterControl(cluster: ClusterHandle): ClusterControlServer {
  const token = crypto.randomUUID();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname.split("/").filter((p) => p.length > 0);
      if (path[0] !== token) return Response.json({ error: "unknown path" }, { status: 404 });
      if (path.length === 1 && request.method === "GET") {
        return Response.json({ brokers: cluster.brokers, size: cluster.size });
      }
      const [, what, indexText, action] = path;
      if (
        request.method !== "POST" || what !== "brokers" || path.length !== 4 ||
        !ACTIONS.includes(action as typeof ACTIONS[number])
      ) {
        return Response.json(
          {
            error: `not a control request: ${request.method} /${path.slice(1).join("/")} ` +
              `(POST /brokers/<index>/${ACTIONS.join("|")})`,
          },
          { status: 400 },
        );
      }
      const index = Number(indexText);
      try {
        if (action === "stop") await cluster.stopBroker(index);
        else if (action === "start") await cluster.startBroker(index);
        else await cluster.restartBroker(index);
        return Response.json({ ok: true });
      } catch (error) {
        const status = error instanceof RangeError ? 400 : 500;
        return Response.json({ error: String(error) }, { status });
      }
    },
  );
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/${token}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** The cluster behind a control URL. */
async function controlledCluster(url: string): Promise<TestCluster> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `${CLUSTER_CONTROL_ENV}=${url} answered ${response.status}: ${await response.text()}`,
    );
  }
  const { brokers, size } = await response.json() as { brokers: string; size: number };
  const act = async (index: number, action: typeof ACTIONS[number]) => {
    const answer = await fetch(`${url}/brokers/${index}/${action}`, { method: "POST" });
    const body = await answer.json() as { error?: string };
    if (!answer.ok) {
      throw new Error(`${action} of the cluster's broker at index ${index}: ${body.error}`);
    }
  };
  return {
    brokers,
    size,
    stopBroker: (index) => act(index, "stop"),
    startBroker: (index) => act(index, "start"),
    restartBroker: (index) => act(index, "restart"),
  };
}

let started: Promise<TestCluster> | undefined;

/**
 * The run's cluster (`KAFKA_CLUSTER_CONTROL`, set by `tests/run.ts`), or a 3-broker cluster
 * started once for this test file and stopped when the file unloads. Call it at module top level
 * (`const cluster = await testCluster();`) so the JVMs are not charged to one test's sanitizer.
 */
export function testCluster(): Promise<TestCluster> {
  started ??= (() => {
    const url = Deno.env.get(CLUSTER_CONTROL_ENV);
    if (url) return controlledCluster(url);
    return (async () => {
      const cluster = await startCluster({ brokers: 3 });
      removeOnUnload(() => cluster.nodes.map((n) => n.pid), cluster.dataDir);
      return cluster;
    })();
  })();
  return started;
}
