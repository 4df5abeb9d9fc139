/**
 * The kafkajs gate keeps kafkajs' own negative-timeout warning off stderr and nothing else: the
 * runtime's printer skips exactly that warning, and every other `warning` listener still hears
 * every warning, kafkajs' included. Deno reports a negative timeout once per process, so each
 * case with one runs `_warnings_probe.ts` as a process of its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import "../../src/kafka/kafkajs.ts"; // installs the filter
import {
  isKafkaJsTimeoutWarning,
  quietKafkaJsTimeoutWarning,
} from "../../src/kafka/timeout_warning.ts";

interface ProbeRun {
  /** What the probe's own listener heard, in order. */
  heard: { name: string; kafkajs: boolean }[];
  /** What the runtime printed. */
  stderr: string;
}

async function runProbe(first: "kafkajs" | "own"): Promise<ProbeRun> {
  const probe = new URL("./_warnings_probe.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe.pathname, first],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim());
  return { heard: lines.map((l) => JSON.parse(l)), stderr };
}

Deno.test("kafkajs' negative timeout is not printed, and another listener still hears it", async () => {
  const { heard, stderr } = await runProbe("kafkajs");
  assert.deepEqual(heard, [
    { name: "TimeoutNegativeWarning", kafkajs: true },
    { name: "ProbeWarning", kafkajs: false },
  ]);
  assert.doesNotMatch(stderr, /TimeoutNegativeWarning/);
  assert.match(stderr, /ProbeWarning: a probe warning/);
});

Deno.test("a negative timeout of anyone else's is printed as before", async () => {
  const { heard, stderr } = await runProbe("own");
  assert.deepEqual(heard, [
    { name: "TimeoutNegativeWarning", kafkajs: false },
    { name: "ProbeWarning", kafkajs: false },
  ]);
  assert.match(stderr, /TimeoutNegativeWarning: -5 is a negative number/);
  assert.match(stderr, /ProbeWarning: a probe warning/);
});

Deno.test("isKafkaJsTimeoutWarning() needs the name and a kafkajs request-queue frame", () => {
  const warning = (name: string, frame: string) => {
    const w = new Error("-1796116341141 is a negative number.");
    w.name = name;
    w.stack =
      `${name}: ${w.message}\n    at setTimeout (ext:deno_node/timers.ts:1:979)\n    at ${frame}`;
    return w;
  };
  const queue = "RequestQueue.scheduleCheckPendingRequests " +
    "(file:///root/.cache/deno/npm/registry.npmjs.org/kafkajs/2.2.4/src/network/requestQueue/index.js:317:37)";
  const nodeModules = "x (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)";
  assert.equal(isKafkaJsTimeoutWarning(warning("TimeoutNegativeWarning", queue)), true);
  assert.equal(isKafkaJsTimeoutWarning(warning("TimeoutNegativeWarning", nodeModules)), true);
  assert.equal(isKafkaJsTimeoutWarning(warning("OtherWarning", queue)), false);
  assert.equal(
    isKafkaJsTimeoutWarning(warning("TimeoutNegativeWarning", "f (file:///app/src/x.ts:1:1)")),
    false,
  );
  assert.equal(isKafkaJsTimeoutWarning(undefined), false);
});

Deno.test("the gate replaced only the runtime's printer, once, and other listeners hear warnings", async () => {
  const heard: string[] = [];
  const other = (warning: Error) => heard.push(warning.name);
  process.on("warning", other);
  try {
    const listeners = process.listeners("warning");
    assert.ok(listeners.includes(other));
    assert.equal(listeners.filter((l) => l.name === "onWarning").length, 0, "printer wrapped");
    quietKafkaJsTimeoutWarning(); // idempotent: no second filter
    assert.deepEqual(process.listeners("warning"), listeners);
    const delivered = new Promise<void>((resolve) => process.once("warning", () => resolve()));
    process.emitWarning("for the listener", "ProbeWarning");
    await delivered;
    assert.deepEqual(heard, ["ProbeWarning"]);
  } finally {
    process.removeListener("warning", other);
  }
});
