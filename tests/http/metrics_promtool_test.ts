import assert from "node:assert/strict";
import { createHandler } from "../../src/http/handler.ts";
import { fakeSnapshot, PUBLISHED } from "./fake_snapshot.ts";

/** Runs `promtool check metrics` on `text`; fails the test, saying what to install, without it. */
async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
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

Deno.test("handler() serves GET /metrics text that promtool check metrics accepts", async (t) => {
  const clock = { now: () => PUBLISHED + 10_000 };
  const snapshots = {
    "a trained model": fakeSnapshot(),
    "before the first batch, cut off from the broker": fakeSnapshot({
      eventsTrained: 0,
      batches: 0,
      batchId: -1,
      updates: 0,
      lag: NaN,
      checkpoint: null,
      healthy: false,
      healthReason: "broker unreachable",
      badRecords: {},
      weights: [NaN, 0, 0],
    }),
  };
  for (const [name, snapshot] of Object.entries(snapshots)) {
    await t.step(name, async () => {
      const handler = createHandler({ snapshot: () => snapshot, clock });
      const response = await handler(new Request("http://127.0.0.1/metrics"));
      assert.equal(response.status, 200);
      const text = await response.text();
      const { code, output } = await promtoolCheck(text);
      assert.equal(code, 0, `promtool check metrics failed:\n${output}\n--- text:\n${text}`);
      assert.equal(output.trim(), "", `promtool reports lint problems:\n${output}`);
    });
  }
});
