/**
 * The first step of `deno task test`: make sure every program in
 * {@linkcode TEST_TOOLS} is there, installing the Debian packages of the missing ones with
 * `apt-get` when it may (as root, or with password-less sudo), and otherwise stopping with one
 * message that names the exact command to run. Everything it asks of the machine goes through
 * {@linkcode SetupProbes}, so it is unit-tested without root, sudo or apt-get;
 * {@linkcode systemProbes} are the real ones.
 *
 * ```ts
 * import { ensureTestTools, systemProbes } from "./setup_check.ts";
 * await ensureTestTools(systemProbes()); // throws ToolSetupError when it cannot
 * ```
 *
 * @module
 */

import { findPath, TEST_TOOLS, type TestTool } from "./tools.ts";

/** A command line: its arguments (the program first) and what it adds to the environment. */
export interface SetupCommand {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  /** Environment variables added to the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** What {@linkcode ensureTestTools} asks of the machine. */
export interface SetupProbes {
  /** The current user id; `null` where there is none (Windows). */
  uid(): number | null;
  /** Whether `sudo -n true` succeeds, i.e. sudo works without a password. */
  sudoWorks(): Promise<boolean>;
  /**
   * Whether a file exists at the absolute `path`, a {@linkcode TestTool.path} (whose `*`s match
   * within one segment).
   */
  exists(path: string): Promise<boolean>;
  /**
   * Runs `command` with its output on the terminal and resolves to its exit code; rejects when
   * the program cannot be started (e.g. there is no `apt-get`).
   */
  run(command: SetupCommand): Promise<number>;
  /** Prints a progress line. */
  log(line: string): void;
}

/** Why the tools could not be set up; the message names the command to run by hand. */
export class ToolSetupError extends Error {
  /** The Debian packages that are missing. */
  readonly packages: readonly string[];
  /** The shell command that installs them by hand. */
  readonly command: string;
  /** Creates the error. */
  constructor(message: string, packages: readonly string[], command: string) {
    super(message);
    this.name = "ToolSetupError";
    this.packages = packages;
    this.command = command;
  }
}

/** How a command reads in a shell: `VAR=value program args`. */
export function commandLine(command: SetupCommand): string {
  return [...Object.entries(command.env).map(([k, v]) => `${k}=${v}`), ...command.argv].join(" ");
}

/**
 * Checks that every tool's path exists; when some do not, installs their packages (each once,
 * in list order) with `apt-get update` then `apt-get install -y --no-install-recommends`, with
 * `DEBIAN_FRONTEND=noninteractive`: directly as root (uid 0), else through `sudo -n` when
 * `sudo -n true` succeeds, and then checks the paths again. Nothing missing: no command is run
 * and sudo is not probed.
 *
 * @param probes The machine.
 * @param tools The programs needed; by default every one in {@linkcode TEST_TOOLS}.
 * @returns The packages it installed (none when nothing was missing).
 * @throws {ToolSetupError} Without root or password-less sudo (before running anything), when
 *   apt-get cannot start or fails, or when a path is still missing after the install; the
 *   message is one line naming the command that installs the packages by hand.
 */
export async function ensureTestTools(
  probes: SetupProbes,
  tools: readonly TestTool[] = Object.values(TEST_TOOLS),
): Promise<string[]> {
  const missing = await absent(probes, tools);
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((t) => t.package))];
  const paths = missing.map((t) => t.path).join(", ");
  const needs = `the tests need Debian's ${packages.join(" ")} (missing ${paths})`;

  const root = probes.uid() === 0;
  const sudo = root ? "" : "sudo ";
  const byHand = `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(" ")}`;
  if (!root && !(await probes.sudoWorks())) {
    throw new ToolSetupError(
      `${needs}; only root or password-less sudo can install them, so run: ${byHand}`,
      packages,
      byHand,
    );
  }

  // sudo resets the environment, so the variable travels in the command itself (`env`).
  const frontend = "DEBIAN_FRONTEND=noninteractive";
  const apt = (...args: string[]): SetupCommand =>
    root
      ? { argv: ["apt-get", ...args], env: { DEBIAN_FRONTEND: "noninteractive" } }
      : { argv: ["sudo", "-n", "env", frontend, "apt-get", ...args], env: {} };
  const commands = [
    apt("update"),
    apt("install", "-y", "--no-install-recommends", ...packages),
  ];
  probes.log(`${needs}; installing them${root ? "" : " with sudo"}`);
  for (const command of commands) {
    const line = commandLine(command);
    probes.log(`$ ${line}`);
    let code: number;
    try {
      code = await probes.run(command);
    } catch (error) {
      throw new ToolSetupError(
        `could not run ${line}: ${(error as Error).message}; ${needs}, so run: ${byHand}`,
        packages,
        byHand,
      );
    }
    if (code !== 0) {
      throw new ToolSetupError(
        `${line} failed with exit code ${code} (its output is above); ${needs}, so fix that ` +
          `and run: ${byHand}`,
        packages,
        byHand,
      );
    }
  }

  const still = await absent(probes, missing);
  if (still.length > 0) {
    const list = still.map((t) => `${t.path} (from ${t.package})`).join(", ");
    throw new ToolSetupError(
      `${commandLine(commands[1])} succeeded but ${list} ${
        still.length === 1 ? "is" : "are"
      } still missing: on this system the package does not install it there, and the tests ` +
        "run it from that path",
      packages,
      byHand,
    );
  }
  return packages;
}

async function absent(probes: SetupProbes, tools: readonly TestTool[]): Promise<TestTool[]> {
  const present = await Promise.all(tools.map((t) => probes.exists(t.path)));
  return tools.filter((_, i) => !present[i]);
}

/** The real machine: `Deno.uid()`, `sudo -n true`, `findPath`, and child processes. */
export function systemProbes(log: (line: string) => void = console.error): SetupProbes {
  return {
    uid: () => Deno.uid(),
    async sudoWorks() {
      try {
        const out = await new Deno.Command("sudo", {
          args: ["-n", "true"],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).output();
        return out.success;
      } catch {
        return false; // no sudo
      }
    },
    async exists(path) {
      return await findPath(path) !== null;
    },
    async run(command) {
      const [program, ...args] = command.argv;
      const child = new Deno.Command(program, {
        args,
        env: { ...command.env },
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      return (await child.status).code;
    },
    log,
  };
}
