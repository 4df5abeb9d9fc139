/**
 * A fake `/proc` for the unit tests of the state lock: processes described by their start time
 * and the state of each thread, read through the {@linkcode ProcReader} interface.
 *
 * @module
 */

import type { ProcReader } from "../../src/stream/process_status.ts";

/** One fake process: its start time (ticks) and one state letter per thread, main thread first. */
export interface FakeProcess {
  startTicks: number;
  threads: string[];
}

/** A `/proc/<pid>/stat` line: comm with a space and a parenthesis, `state`, start time in field 22. */
export function statLine(pid: number, state: string, startTicks: number): string {
  const rest = [state, ...Array.from({ length: 18 }, (_, i) => String(i + 1)), String(startTicks)];
  return `${pid} (deno (main)) ${[...rest, "0", "0"].join(" ")}\n`;
}

/** The files of the given processes, thread ids `pid`, `pid + 1`, …. */
export function procFiles(processes: Record<number, FakeProcess>): Map<string, string> {
  const files = new Map<string, string>();
  for (const [key, p] of Object.entries(processes)) {
    const pid = Number(key);
    files.set(`/proc/${pid}/stat`, statLine(pid, p.threads[0], p.startTicks));
    p.threads.forEach((state, i) => {
      files.set(`/proc/${pid}/task/${pid + i}/stat`, statLine(pid + i, state, p.startTicks));
    });
  }
  return files;
}

/**
 * A reader over `files()` (called on every read, so a test can change the processes between
 * reads); with `denied`, every read fails as under Deno without full read permission.
 */
export function fakeProc(files: () => Map<string, string>, denied = false): ProcReader {
  const check = (path: string) => {
    if (denied) throw new Deno.errors.NotCapable(`Requires read access to "${path}"`);
  };
  return {
    readFile(path) {
      check(path);
      const text = files().get(path);
      if (text === undefined) throw new Deno.errors.NotFound(`No such file: ${path}`);
      return text;
    },
    readDir(path) {
      check(path);
      const prefix = `${path}/`;
      const names = new Set<string>();
      for (const name of files().keys()) {
        if (name.startsWith(prefix)) names.add(name.slice(prefix.length).split("/")[0]);
      }
      if (names.size === 0) throw new Deno.errors.NotFound(`No such directory: ${path}`);
      return [...names];
    },
  };
}
