/**
 * Runs Prometheus' own checker, `promtool check metrics`, on exposition text. Without promtool the
 * calling test fails and says what to install — it never skips.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Runs `promtool check metrics` on `text`; returns its exit code and its combined output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      assert.fail("promtool is missing: install prometheus (apt-get install -y prometheus)");
    }
    throw error;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
