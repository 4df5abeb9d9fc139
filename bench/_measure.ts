/**
 * The few measuring helpers the benchmark scripts share: a process's CPU seconds from `/proc`,
 * the load average, the median, a Markdown table, a sleep. (A free port is
 * `dev/kafka/broker.ts`'s `freePort`.)
 *
 * @module
 */

/**
 * CPU seconds (user + system) a running process has used so far, from `/proc/<pid>/stat`;
 * with `children`, also those of its children it has waited for (`cutime`, `cstime`: a task's
 * `deno run` child counts once it has exited).
 */
export function processCpu(pid: number, children = false): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  // utime, stime, cutime, cstime are fields 14–17 of /proc/<pid>/stat (1-based), in ticks (100/s).
  const own = Number(fields[11]) + Number(fields[12]);
  return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / 100;
}

/** The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them. */
export function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A Markdown table: the first column left-aligned, the others right-aligned. */
export function markdown(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")
    } |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
