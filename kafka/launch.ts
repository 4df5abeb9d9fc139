/**
 * `deno task kafka`: runs a local Apache Kafka (KRaft) broker in the foreground until Ctrl-C or
 * SIGTERM, then stops it cleanly. The data directory survives, so the next run keeps the topics.
 *
 * ```sh
 * deno task kafka                       # 127.0.0.1:9092, data in .cache/kafka/data
 * deno task kafka --port 19092 --controller-port 19093 --data-dir /tmp/kafka
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startBroker } from "./broker.ts";
import { REPO_ROOT } from "./jars.ts";

const USAGE = `Usage: deno task kafka [flags]

Runs a local Apache Kafka 4.1.2 broker (KRaft, broker + controller in one JVM) on 127.0.0.1
until Ctrl-C. The jars are resolved from Maven Central once into .cache/kafka/lib.

Flags:
  --port <n>             client port (default 9092)
  --controller-port <n>  KRaft controller port (default 9093)
  --data-dir <path>      data directory, kept between runs (default .cache/kafka/data)
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

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string", default: "9092" },
        "controller-port": { type: "string", default: "9093" },
        "data-dir": { type: "string", default: `${REPO_ROOT}/.cache/kafka/data` },
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
  let port: number, controllerPort: number;
  try {
    port = parsePort("port", values.port);
    controllerPort = parsePort("controller-port", values["controller-port"]);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const broker = await startBroker({
      port,
      controllerPort,
      dataDir: values["data-dir"],
      onProgress: (line) => console.error(line),
      signal: stopping.signal,
    });
    try {
      console.log(`Kafka 4.1.2 is up: bootstrap ${broker.brokers}`);
      console.log(`  log file:  ${broker.logFile}`);
      console.log(`  data dir:  ${broker.dataDir}`);
      console.log(`Press Ctrl-C to stop.`);
      const stopped = new Promise<"stop">((resolve) => {
        if (stopping.signal.aborted) resolve("stop");
        stopping.signal.addEventListener("abort", () => resolve("stop"), { once: true });
      });
      const outcome = await Promise.race([stopped, broker.whenExited()]);
      if (outcome !== "stop") {
        console.error(
          `kafka: the broker exited on its own (code ${outcome}); see ${broker.logFile}`,
        );
        return 1;
      }
      console.log("stopping Kafka ...");
    } finally {
      await broker.stop();
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
