/**
 * Whether a process still runs, as Linux's `/proc` tells it: for the state lock, which must tell
 * a live owner from a dead one. A process killed with SIGKILL stays a zombie (state `Z`) until its
 * parent reaps it — when a supervisor kills a whole process tree, the trainer's new parent is
 * PID 1, which may take a second or two — and a zombie runs no code: it is dead for the lock.
 * While its threads are being torn down, the main thread may already be a zombie while another
 * is still running, so a process counts as dead only when every thread in `/proc/<pid>/task` is
 * in state `Z` (zombie) or `X` (dead). A pid that now belongs to a process started at another
 * time (field 22 of `/proc/<pid>/stat`) is a reused pid: the original process is dead.
 *
 * @module
 */

/** Reads `/proc`; tests inject fake contents. */
export interface ProcReader {
  /**
   * The text of a file, e.g. `/proc/1234/stat`.
   * @throws {Deno.errors.NotFound} when it does not exist;
   * {@linkcode Deno.errors.NotCapable} or {@linkcode Deno.errors.PermissionDenied} when it may not be read
   */
  readFile(path: string): string;
  /** The entry names of a directory, e.g. `/proc/1234/task`; throws as {@linkcode ProcReader.readFile}. */
  readDir(path: string): string[];
}

/** The real `/proc` (Deno reads `/proc/<pid>/*` only with full read permission). */
export const realProc: ProcReader = {
  readFile: (path) => Deno.readTextFileSync(path),
  readDir: (path) => [...Deno.readDirSync(path)].map((entry) => entry.name),
};

/** What `/proc` says about a process. */
export interface ProcessStatus {
  /** `running`: it runs code; `dead`: gone, a zombie or a reused pid; `unknown`: `/proc` may not be read. */
  readonly state: "running" | "dead" | "unknown";
  /** For messages, e.g. `"a zombie: every thread has exited (1 Z)"`. */
  readonly detail: string;
}

/** The fields of `/proc/<pid>/stat` the lock reads. */
export interface ProcStat {
  /** Field 3: R, S, D, Z, X, T, … */
  state: string;
  /** Field 22: start time in clock ticks since boot. */
  startTicks: number;
}

/** Parses the text of a `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) file. */
export function parseProcStat(text: string): ProcStat {
  // Field 2 (comm) may contain spaces and parentheses: split after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "?", startTicks: Number(fields[19]) };
}

function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

/**
 * Start time of process `pid` in clock ticks since boot; `null` when it does not run;
 * `undefined` when this process may not read `/proc` (then nobody can tell from here).
 */
export function processStartTicks(
  pid: number,
  proc: ProcReader = realProc,
): number | null | undefined {
  try {
    return parseProcStat(proc.readFile(`/proc/${pid}/stat`)).startTicks;
  } catch (error) {
    return isPermissionError(error) ? undefined : null;
  }
}

/** `{Z: 1, R: 2}` as `"1 Z, 2 R"`. */
function summary(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
}

/**
 * Whether process `pid`, started at `startTicks` (`null`: not known, any start time matches),
 * still runs.
 */
export function processStatus(
  pid: number,
  startTicks: number | null,
  proc: ProcReader = realProc,
): ProcessStatus {
  let main: ProcStat;
  try {
    main = parseProcStat(proc.readFile(`/proc/${pid}/stat`));
  } catch (error) {
    if (isPermissionError(error)) {
      return { state: "unknown", detail: `no permission to read /proc/${pid}` };
    }
    return { state: "dead", detail: `gone: /proc/${pid} does not exist` };
  }
  if (startTicks !== null && main.startTicks !== startTicks) {
    return {
      state: "dead",
      detail:
        `gone: pid ${pid} now belongs to a process started at tick ${main.startTicks}, not ${startTicks}`,
    };
  }
  let tids: string[];
  try {
    tids = proc.readDir(`/proc/${pid}/task`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { state: "dead", detail: `gone: /proc/${pid}/task does not exist` };
    }
    tids = [];
  }
  const states: string[] = [];
  for (const tid of tids) {
    try {
      states.push(parseProcStat(proc.readFile(`/proc/${pid}/task/${tid}/stat`)).state);
    } catch {
      // A thread that has just been reaped: it runs nothing.
    }
  }
  if (states.length === 0) states.push(main.state); // no thread list: the main thread tells
  if (states.every((s) => s === "Z" || s === "X")) {
    return { state: "dead", detail: `a zombie: every thread has exited (${summary(states)})` };
  }
  if (main.state === "Z" || main.state === "X") {
    return {
      state: "running",
      detail: `exiting: its main thread is a zombie but other threads still run (${
        summary(states)
      })`,
    };
  }
  return { state: "running", detail: `running (threads: ${summary(states)})` };
}
