/**
 * Runs Prometheus' own checker, `promtool check metrics`, on exposition text. Without promtool
 * (its path and package are in `tools.ts`) the calling test fails and names the package to
 * install — it never skips.
 *
 * @module
 */

import { requireTool } from "./tools.ts";

/** Runs `promtool check metrics` on `text`; returns its exit code and its combined output. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(await requireTool("promtool"), {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
