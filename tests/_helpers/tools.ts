/**
 * The external programs the tests run that a machine with the README's prerequisites (Node.js
 * and npm, Java 17, Maven) may lack, each with the absolute path the tests run it from and the
 * Debian package that installs it. This one list drives both sides: `deno task test`
 * (`tests/run.ts`, through `ensureTestTools` in `setup_check.ts`) installs the packages of the
 * paths that are missing before anything else, and the tests find the programs with
 * {@linkcode toolPath} / {@linkcode requireTool}, which fail the test (never skip it) naming the
 * package when one is missing.
 *
 * Not listed: `java`, `keytool` and `mvn` (prerequisites, taken from `PATH` like the broker
 * does) and `sh` / `true` (Debian essential packages).
 *
 * A tool that is not a program is known by a file of its package: Debian's `python3-venv` (what
 * `python3 -m venv` needs, for `bench/river.ts`) by `ensurepip`, which it adds to the Python
 * standard library of `/usr/lib/python3.<minor>/`. Such a path may hold a `*`, matching any run
 * of characters within one path segment ({@linkcode findPath}).
 *
 * ```ts
 * import { requireTool } from "../_helpers/tools.ts";
 * const chromium = await requireTool("chromium"); // "/usr/bin/chromium", or the test fails
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";

/** An external program the tests run, and where it comes from. */
export interface TestTool {
  /**
   * The absolute path the tests run it from, or for a tool that is not a program the file that
   * shows it is installed; a `*` matches any run of characters within one segment.
   */
  readonly path: string;
  /** The Debian package that installs {@linkcode TestTool.path}. */
  readonly package: string;
}

/**
 * Every external program the tests need that the prerequisites do not bring, by name: the
 * browser test's Chromium, Prometheus' server and checker (both in Debian's `prometheus`),
 * `openssl` (the TLS tests' client key), and `python3 -m venv` (Debian's `python3-venv`, which
 * also brings `python3`: `bench/river.ts` makes River's virtual environment with it).
 */
export const TEST_TOOLS = {
  chromium: { path: "/usr/bin/chromium", package: "chromium" },
  prometheus: { path: "/usr/bin/prometheus", package: "prometheus" },
  promtool: { path: "/usr/bin/promtool", package: "prometheus" },
  openssl: { path: "/usr/bin/openssl", package: "openssl" },
  pythonVenv: { path: "/usr/lib/python3.*/ensurepip/__init__.py", package: "python3-venv" },
} as const satisfies Record<string, TestTool>;

/** The name of a program in {@linkcode TEST_TOOLS}. */
export type TestToolName = keyof typeof TEST_TOOLS;

/** The absolute path the tests run the program `name` from (e.g. `/usr/bin/chromium`). */
export function toolPath(name: TestToolName): string {
  return TEST_TOOLS[name].path;
}

/**
 * The path of the program `name`, after checking that it is there; when it is not, fails the
 * calling test with an `AssertionError` naming the path and the Debian package to install.
 */
export async function requireTool(name: TestToolName): Promise<string> {
  const { path, package: pkg } = TEST_TOOLS[name];
  if (await findPath(path) === null) {
    assert.fail(
      `${path} is missing: install Debian's ${pkg} (deno task test installs it, or run ` +
        `sudo apt-get install -y ${pkg})`,
    );
  }
  return path;
}

/**
 * The first existing path (in sorted order) that `pattern` matches, or `null` when none does.
 * `pattern` is an absolute path whose segments may hold `*`, each matching any run of
 * characters (none included) within that one segment, never a `/`; without a `*` it is the
 * path itself. A directory that cannot be read matches nothing.
 *
 * ```ts
 * await findPath("/usr/lib/python3.*\/ensurepip/__init__.py"); // "/usr/lib/python3.11/ensurepip/__init__.py"
 * ```
 *
 * @throws {TypeError} naming the pattern when it is not absolute
 */
export async function findPath(pattern: string): Promise<string | null> {
  if (!pattern.startsWith("/")) {
    throw new TypeError(`Cannot find path ${JSON.stringify(pattern)}: expected an absolute path.`);
  }
  return await walk("", pattern.split("/").slice(1));
}

async function walk(dir: string, rest: readonly string[]): Promise<string | null> {
  const [segment, ...tail] = rest;
  if (!segment.includes("*")) {
    const path = `${dir}/${segment}`;
    if (tail.length > 0) return await walk(path, tail);
    try {
      await Deno.stat(path);
      return path;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return null;
      }
      throw error;
    }
  }
  const match = new RegExp(
    `^${segment.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`,
  );
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir === "" ? "/" : dir)) {
      if (match.test(entry.name)) names.push(entry.name);
    }
  } catch {
    return null; // no such directory, not a directory, or not readable
  }
  for (const name of names.sort()) {
    const found = tail.length > 0 ? await walk(`${dir}/${name}`, tail) : `${dir}/${name}`;
    if (found !== null) return found;
  }
  return null;
}
