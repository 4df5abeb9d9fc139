/**
 * Runs `deno task kafka` (`dev/kafka/launch.ts`) as the user runs it, for the tests of the launcher:
 * its output as it comes, a wait until it says the broker or cluster is up, and its end.
 *
 * @module
 */

const LAUNCH = new URL("../../dev/kafka/launch.ts", import.meta.url).pathname;

/** How a launcher process ended. */
export interface LaunchExit {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `dev/kafka/launch.ts`. */
export interface LaunchProcess {
  readonly child: Deno.ChildProcess;
  /** Standard output so far. */
  out(): string;
  /**
   * Polls the output until it says "Press Ctrl-C" (up), the process ends, or `timeoutMs`; when
   * it ended first, its exit code and standard error follow the output.
   */
  waitUp(timeoutMs?: number): Promise<string>;
  /** Resolves when the process ends, with its output. */
  done(): Promise<LaunchExit>;
}

/** Starts `deno run -A dev/kafka/launch.ts <args>`. */
export function spawnLaunch(args: readonly string[]): LaunchProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", LAUNCH, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let ended = false;
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
  })();
  const errors = new Response(child.stderr).text();
  const status = child.status.finally(() => ended = true);
  return {
    child,
    out: () => out,
    async waitUp(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes("Press Ctrl-C") && !ended && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!ended || out.includes("Press Ctrl-C")) return out;
      // It ended without coming up: what it said on stderr is the reason (a failed assertion
      // shows this text).
      const { code } = await status;
      await reading;
      return `${out}\n(the launcher exited ${code} before it was up; its stderr:)\n${await errors}`;
    },
    async done() {
      const { code } = await status;
      await reading;
      return { code, stdout: out, stderr: await errors };
    },
  };
}
