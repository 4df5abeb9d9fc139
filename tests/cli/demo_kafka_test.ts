/**
 * The README's first command: `demo` starts its own Kafka broker, the trainer and a load, serves
 * `/weights` within two minutes, and Ctrl-C stops everything, the broker included. Run as the
 * user runs it (a subprocess of `src/main.ts`), on free ports so it cannot clash with anything.
 */
import assert from "node:assert/strict";
import { freePort } from "../../dev/kafka/broker.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

function portOpen(port: number): Promise<boolean> {
  return Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
    c.close();
    return true;
  }, () => false);
}

/** `clickstream demo` with its own broker on `kafkaPort` (KAFKA_BROKERS unset), output piped. */
function demoCommand(kafkaPort: number, httpPort: number, stateDir: string): Deno.Command {
  const env = Deno.env.toObject();
  delete env.KAFKA_BROKERS; // the demo must start its own broker
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "demo",
      "--kafka-port",
      String(kafkaPort),
      "--http",
      `127.0.0.1:${httpPort}`,
      "--rate",
      "2000",
      "--state-dir",
      stateDir,
    ],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("demo serves /weights of a model that learns, and Ctrl-C stops it and its broker", async () => {
  const kafkaPort = freePort();
  const httpPort = freePort();
  const stateDir = await Deno.makeTempDir({ prefix: "demo-test-" });
  const child = demoCommand(kafkaPort, httpPort, stateDir).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  try {
    const deadline = Date.now() + 120_000;
    let trained = 0;
    while (Date.now() < deadline && trained < 2000) {
      try {
        const w = await (await fetch(`http://127.0.0.1:${httpPort}/weights`)).json();
        trained = w.events_trained;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(trained >= 2000, `the demo trained ${trained} events within two minutes`);
    assert.ok(await portOpen(kafkaPort), "the demo's broker listens");
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    const [stdout, stderr] = await output;
    await Deno.remove(stateDir, { recursive: true });
    assert.equal(status.code, 0, stderr);
    assert.match(stdout, /curl http:\/\/127\.0\.0\.1:\d+\/weights/);
    assert.match(stdout, /Batch \d+ \| events:/);
    assert.match(stdout, /demo stopped: \d+ events sent/);
  }
  assert.equal(await portOpen(kafkaPort), false, "the broker stopped with the demo");
});

Deno.test("demo on a Kafka port already in use exits 1 saying how to use that broker instead", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const stateDir = await Deno.makeTempDir({ prefix: "demo-taken-test-" });
  try {
    const out = await demoCommand(port, freePort(), stateDir).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, new RegExp(`client port 127\\.0\\.0\\.1:${port} is in use`));
    assert.match(stderr, new RegExp(`--brokers 127\\.0\\.0\\.1:${port}`));
  } finally {
    taken.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
