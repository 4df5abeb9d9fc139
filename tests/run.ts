/**
 * The `test` task. First, before the Kafka jars are resolved or a broker starts, it makes sure
 * the external programs the tests run are there (`tests/_helpers/tools.ts` lists them with their
 * Debian packages): missing ones are installed with `apt-get` when it runs as root or has
 * password-less sudo (`sudo -n`); otherwise it exits 1 at once with one line naming the command
 * to run, e.g. `sudo apt-get update && sudo apt-get install -y chromium prometheus` (see
 * `tests/_helpers/setup_check.ts`). Then it starts ONE local Kafka broker (free ports, temporary
 * data directory) for the whole run unless `KAFKA_BROKERS` is set, runs `deno test -A --parallel`
 * with the extra arguments passed through and `KAFKA_BROKERS` pointing at it, stops the broker
 * whatever happens, and exits with deno test's exit code (its summary line is printed as usual).
 *
 * ```sh
 * deno task test                       # everything
 * deno task test tests/kafka/          # one folder (any deno test arguments)
 * KAFKA_BROKERS=127.0.0.1:9092 deno task test   # use a running broker
 * ```
 *
 * @module
 */

import { type BrokerHandle, startBroker } from "../kafka/broker.ts";
import { ensureTestTools, systemProbes, ToolSetupError } from "./_helpers/setup_check.ts";

async function main(args: string[]): Promise<number> {
  try {
    await ensureTestTools(systemProbes((line) => console.error(`tests/run: ${line}`)));
  } catch (error) {
    if (!(error instanceof ToolSetupError)) throw error;
    console.error(`tests/run: ${error.message}`);
    return 1;
  }
  const env: Record<string, string> = {};
  let broker: BrokerHandle | undefined;
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (!Deno.env.get("KAFKA_BROKERS")) {
      const t0 = performance.now();
      try {
        broker = await startBroker({
          onProgress: (line) => console.error(`tests/run: ${line}`),
          signal: stopping.signal,
        });
      } catch (error) {
        console.error(`tests/run: could not start the test broker: ${(error as Error).message}`);
        return 1;
      }
      env.KAFKA_BROKERS = broker.brokers;
      console.error(
        `tests/run: Kafka 4.1.2 at ${broker.brokers} (started in ${
          Math.round(performance.now() - t0)
        } ms, log ${broker.logFile})`,
      );
    }
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--parallel", ...args],
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const onAbort = () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    };
    stopping.signal.addEventListener("abort", onAbort, { once: true });
    const status = await child.status;
    stopping.signal.removeEventListener("abort", onAbort);
    return status.code;
  } finally {
    if (broker) await broker[Symbol.asyncDispose]();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
