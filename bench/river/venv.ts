/**
 * River's Python virtual environment for `bench/river.ts`, made once and reused: in the
 * git-ignored `.cache/river/venv` by default, `python3 -m venv`, then PyPI's `river` at the
 * pinned {@linkcode RIVER_VERSION} through the environment's own `pip`. First it runs the
 * set-up check of `deno task test` (`tests/_helpers/setup_check.ts`) for Debian's
 * `python3-venv` alone, which installs the package when it is missing and it may
 * (root, or password-less sudo). A directory whose `python` imports that version of River is
 * reused as it is; any other is made anew (`venv --clear`).
 *
 * ```ts
 * const python = await ensureRiverVenv(); // ".../.cache/river/venv/bin/python"
 * ```
 *
 * @module
 */

import { REPO_ROOT } from "../../dev/kafka/jars.ts";
import { ensureTestTools, systemProbes } from "../../tests/_helpers/setup_check.ts";
import { TEST_TOOLS } from "../../tests/_helpers/tools.ts";

/** The River release the benchmark installs from PyPI. */
export const RIVER_VERSION = "0.26.1";

/** Where the environment lives by default. */
export const DEFAULT_VENV_DIR: string = `${REPO_ROOT}/.cache/river/venv`;

/** Options of {@linkcode ensureRiverVenv}. */
export interface RiverVenvOptions {
  /**
   * The environment's directory.
   *
   * @default {DEFAULT_VENV_DIR}
   */
  dir?: string;
  /**
   * Prints a progress line.
   *
   * @default {console.error}
   */
  log?: (line: string) => void;
}

/** The environment could not be made; the message names the command that failed. */
export class RiverVenvError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RiverVenvError";
  }
}

/**
 * Makes sure the environment exists with River {@linkcode RIVER_VERSION}, and returns the path
 * of its `python`.
 *
 * @throws {ToolSetupError} when `python3-venv` is missing and cannot be installed
 * @throws {RiverVenvError} when `venv` or `pip` fails, naming the command and its exit code
 */
export async function ensureRiverVenv(options: RiverVenvOptions = {}): Promise<string> {
  const dir = options.dir ?? DEFAULT_VENV_DIR;
  const log = options.log ?? console.error;
  const python = `${dir}/bin/python`;
  await ensureTestTools(systemProbes(log), [TEST_TOOLS.pythonVenv]);
  if (await riverVersion(python) === RIVER_VERSION) return python;
  log(
    `making River's environment in ${dir} (python3 -m venv, pip install river==${RIVER_VERSION})`,
  );
  await Deno.mkdir(dir, { recursive: true });
  await run("python3", ["-m", "venv", "--clear", dir]);
  await run(python, [
    ...["-m", "pip", "install", "--disable-pip-version-check", "--quiet"],
    `river==${RIVER_VERSION}`,
  ]);
  const version = await riverVersion(python);
  if (version !== RIVER_VERSION) {
    throw new RiverVenvError(
      `${python} imports River ${version ?? "(none)"} after pip install river==${RIVER_VERSION}`,
    );
  }
  return python;
}

/** The River version `python` imports, or `null` when there is no such python or no River. */
async function riverVersion(python: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import river; print(river.__version__)"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function run(program: string, args: string[]): Promise<void> {
  const line = [program, ...args].join(" ");
  let code: number;
  try {
    const child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    code = (await child.status).code;
  } catch (error) {
    throw new RiverVenvError(`could not run ${line}: ${(error as Error).message}`);
  }
  if (code !== 0) throw new RiverVenvError(`${line} failed with exit code ${code}`);
}
