import assert from "node:assert/strict";
import {
  parseProcStat,
  processStartTicks,
  processStatus,
} from "../../src/stream/process_status.ts";
import { fakeProc, type FakeProcess, procFiles, statLine } from "../_helpers/fake_proc.ts";

const PID = 4242;
const START = 777;

function statusOf(process: FakeProcess | null, startTicks: number | null = START) {
  const files = procFiles(process ? { [PID]: process } : {});
  return processStatus(PID, startTicks, fakeProc(() => files));
}

Deno.test("parseProcStat() reads the state and the start time past a comm with spaces and parentheses", () => {
  assert.deepEqual(parseProcStat(statLine(12, "Z", 345)), { state: "Z", startTicks: 345 });
});

Deno.test("processStatus() tells a dead owner from a live one by /proc", async (t) => {
  const cases: [string, FakeProcess | null, "running" | "dead", RegExp][] = [
    ["gone", null, "dead", /^gone: \/proc\/4242 does not exist/],
    [
      "a zombie: every thread in state Z",
      { startTicks: START, threads: ["Z"] },
      "dead",
      /^a zombie/,
    ],
    ["every thread in state X", { startTicks: START, threads: ["X", "X", "X"] }, "dead", /3 X/],
    ["threads Z and X", { startTicks: START, threads: ["Z", "X"] }, "dead", /1 Z, 1 X/],
    [
      "main thread running, others zombies",
      { startTicks: START, threads: ["R", "Z", "Z"] },
      "running",
      /^running \(threads: 1 R, 2 Z\)/,
    ],
    [
      "main thread a zombie, another still running",
      { startTicks: START, threads: ["Z", "S", "R"] },
      "running",
      /^exiting: its main thread is a zombie .*1 Z, 1 S, 1 R/,
    ],
    ["sleeping threads", { startTicks: START, threads: ["S", "S"] }, "running", /^running/],
    [
      "pid reused by a later process",
      { startTicks: START + 1, threads: ["R"] },
      "dead",
      /pid 4242 now belongs to a process started at tick 778, not 777/,
    ],
  ];
  for (const [name, process, state, detail] of cases) {
    await t.step(name, () => {
      const status = statusOf(process);
      assert.equal(status.state, state, status.detail);
      assert.match(status.detail, detail);
    });
  }
});

Deno.test("processStatus() counts a thread reaped between listing and reading as exited", () => {
  const files = procFiles({ [PID]: { startTicks: START, threads: ["Z", "R"] } });
  // The running thread is listed in /proc/<pid>/task but its stat is gone by the time it is read.
  files.set(`/proc/${PID}/task/${PID + 1}/comm`, "deno\n");
  files.delete(`/proc/${PID}/task/${PID + 1}/stat`);
  const status = processStatus(PID, START, fakeProc(() => files));
  assert.equal(status.state, "dead", status.detail);
  assert.match(status.detail, /\(1 Z\)/);
});

Deno.test("processStatus() accepts any start time when the lock recorded none", () => {
  assert.equal(statusOf({ startTicks: 1, threads: ["S"] }, null).state, "running");
});

Deno.test("processStatus() is unknown without read permission on /proc", () => {
  const files = procFiles({ [PID]: { startTicks: START, threads: ["S"] } });
  const status = processStatus(PID, START, fakeProc(() => files, true));
  assert.equal(status.state, "unknown");
  assert.match(status.detail, /no permission to read \/proc\/4242/);
  assert.equal(processStartTicks(PID, fakeProc(() => files, true)), undefined);
});

Deno.test("processStatus() on the real /proc: this process runs, a reaped child is gone", async () => {
  const ticks = processStartTicks(Deno.pid);
  assert.ok(typeof ticks === "number" && ticks > 0, `start ticks ${ticks}`);
  assert.equal(processStatus(Deno.pid, ticks).state, "running");
  const child = new Deno.Command("true").spawn();
  await child.status;
  assert.equal(processStatus(child.pid, null).state, "dead");
  assert.equal(processStartTicks(child.pid), null);
});
