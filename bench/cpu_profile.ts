/**
 * `deno task bench:profile`: a CPU profile of a running Deno process, taken over the Chrome
 * DevTools protocol, summarized as self time by category (garbage collector, idle, kafkajs, our
 * own folders, the Deno runtime) and by function. How the README's "where the trainer's time goes"
 * was measured:
 *
 * ```sh
 * deno run -A --inspect-wait=127.0.0.1:9229 src/main.ts train <topic> --starting-offsets earliest &
 * deno task bench:profile --port 9229 --seconds 10 [--out trainer.cpuprofile] [--top 40]
 * ```
 *
 * With `--inspect-wait` the target waits for this script, which starts the profiler before
 * letting it run; with `--inspect` it profiles from the moment it connects. `--out` keeps the raw
 * profile (open it in Chrome's DevTools, Performance tab). It speaks the protocol over Deno's own
 * `WebSocket` (four commands); a CDP client library would add a dependency for that.
 *
 * `--worker N` profiles the N-th Web Worker of the process (0 = the first to attach) instead of
 * its main isolate: the inspector lists only the main one, and reaches workers through its
 * `NodeWorker` domain. How the README's "where the time goes" of a load generator worker was
 * measured (start the load test with `--inspect`, give the workers a few seconds to connect):
 *
 * ```sh
 * deno run -A --inspect=127.0.0.1:9229 src/main.ts loadtest --events 20000000 --workers 1 &
 * deno task bench:profile --port 9229 --worker 0 --seconds 10
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const USAGE =
  "usage: deno task bench:profile [--host 127.0.0.1] [--port 9229] [--seconds 10] [--interval-us 500] [--out file.cpuprofile] [--top 40] [--worker N]";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9229" },
    seconds: { type: "string", default: "10" },
    "interval-us": { type: "string", default: "500" },
    out: { type: "string" },
    top: { type: "string", default: "40" },
    worker: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const seconds = Number(values.seconds);
const intervalUs = Number(values["interval-us"]);
const top = Number(values.top);
if (!(seconds > 0) || !(intervalUs > 0) || !Number.isInteger(top) || top < 1) {
  console.error(`error: --seconds, --interval-us and --top must be positive numbers\n${USAGE}`);
  Deno.exit(2);
}
const workerIndex = values.worker === undefined ? null : Number(values.worker);
if (workerIndex !== null && !(Number.isInteger(workerIndex) && workerIndex >= 0)) {
  console.error(`error: --worker ${values.worker}: expected a worker index, 0 or more\n${USAGE}`);
  Deno.exit(2);
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

/** Connects to the inspector, profiles for `seconds`, returns the profile. */
async function takeProfile(): Promise<Profile> {
  const base = `http://${values.host}:${values.port}`;
  let targets: { webSocketDebuggerUrl: string }[];
  try {
    targets = await (await fetch(`${base}/json/list`)).json();
  } catch (cause) {
    throw new Error(
      `No inspector at ${base}: start the process with --inspect or --inspect-wait=${values.host}:${values.port}`,
      { cause },
    );
  }
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  /** Worker sessions in the order they attached (`NodeWorker.attachedToWorker`). */
  const workers: string[] = [];
  let workerSession: string | null = null;
  const settle = (data: { id?: number; result?: unknown }) => {
    if (data.id === undefined) return;
    waiting.get(data.id)?.(data.result);
    waiting.delete(data.id);
  };
  ws.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.method === "NodeWorker.attachedToWorker") workers.push(data.params.sessionId);
    else if (data.method === "NodeWorker.receivedMessageFromWorker") {
      if (data.params.sessionId === workerSession) settle(JSON.parse(data.params.message));
    } else settle(data);
  };
  const sendMain = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve) => {
      waiting.set(++id, resolve as (result: unknown) => void);
      ws.send(JSON.stringify({ id, method, params }));
    });
  /** A command to the profiled isolate: the main one, or the chosen worker's session. */
  const send = <T>(method: string, params: Record<string, unknown> = {}) => {
    if (workerSession === null) return sendMain<T>(method, params);
    const session = workerSession;
    return new Promise<T>((resolve) => {
      waiting.set(++id, resolve as (result: unknown) => void);
      ws.send(JSON.stringify({
        id: -id, // the wrapper's own (empty) answer is not waited for
        method: "NodeWorker.sendMessageToWorker",
        params: { sessionId: session, message: JSON.stringify({ id, method, params }) },
      }));
    });
  };
  if (workerIndex !== null) {
    await sendMain("NodeWorker.enable", { waitForDebuggerOnStart: false });
    // Attached workers are announced right after enable; wait a little for the one asked for.
    for (let i = 0; i < 50 && workers.length <= workerIndex; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (workers.length <= workerIndex) {
      ws.close();
      throw new Error(
        `--worker ${workerIndex}: the process has ${workers.length} worker(s) attached`,
      );
    }
    workerSession = workers[workerIndex];
  }
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  await send("Profiler.start");
  await sendMain("Runtime.runIfWaitingForDebugger");
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { profile } = await send<{ profile: Profile }>("Profiler.stop");
  ws.close();
  return profile;
}

/** Where a frame's code lives: a pseudo-frame, kafkajs, one of our folders, the runtime. */
function category(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName || "(native)";
  if (url.includes("/kafkajs/")) return "kafkajs";
  const ours = /\/(src|kafka|bench)\/([^/]+)\//.exec(url);
  if (ours && !url.includes("/npm/")) return `${ours[1]}/${ours[2]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return "deno runtime";
  if (url.includes("/npm/")) return `npm: ${url.split("/npm/")[1].split("/")[1] ?? "?"}`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^.*\/npm\/[^/]+\//, "npm:").replace(
    /^file:\/\/.*?\/(src|kafka|bench)\//,
    "$1/",
  );
}

function summarize(profile: Profile): string {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((node, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = frames.get(node)!;
    total += us;
    const cat = category(frame);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    const fn = `${frame.functionName || "(anonymous)"} ${
      frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ""
    }`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const rows = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) =>
      `${(100 * us / total).toFixed(1).padStart(6)} %  ${name}`
    );
  return [
    `${(total / 1e6).toFixed(2)} s profiled, ${profile.samples.length} samples`,
    "",
    "self time by category:",
    ...rows(byCategory, 20),
    "",
    `self time by function (top ${top}):`,
    ...rows(byFunction, top),
  ].join("\n");
}

const profile = await takeProfile();
if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(profile));
console.log(summarize(profile));
