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
  /** The absolute path the tests run it from. */
  readonly path: string;
  /** The Debian package that installs {@linkcode TestTool.path}. */
  readonly package: string;
}

/**
 * Every external program the tests need that the prerequisites do not bring, by name: the
 * browser test's Chromium, Prometheus' server and checker (both in Debian's `prometheus`), and
 * `openssl` (the TLS tests' client key).
 */
export const TEST_TOOLS = {
  chromium: { path: "/usr/bin/chromium", package: "chromium" },
  prometheus: { path: "/usr/bin/prometheus", package: "prometheus" },
  promtool: { path: "/usr/bin/promtool", package: "prometheus" },
  openssl: { path: "/usr/bin/openssl", package: "openssl" },
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
  try {
    await Deno.stat(path);
  } catch {
    assert.fail(
      `${path} is missing: install Debian's ${pkg} (deno task test installs it, or run ` +
        `sudo apt-get install -y ${pkg})`,
    );
  }
  return path;
}
