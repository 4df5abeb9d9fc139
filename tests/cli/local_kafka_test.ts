import assert from "node:assert/strict";
import { loadLocalKafka, LocalKafkaUnavailableError } from "../../src/cli/local_kafka.ts";

Deno.test("loadLocalKafka() without a launcher (a compiled binary) says to use --brokers, naming where it looked", async () => {
  const url = new URL("./no_such_launcher.ts", import.meta.url).href;
  await assert.rejects(() => loadLocalKafka(url), (error) => {
    assert.ok(error instanceof LocalKafkaUnavailableError);
    assert.match(error.message, /no broker launcher at .*no_such_launcher\.ts/);
    assert.match(error.message, /--brokers/);
    return true;
  });
});

Deno.test("loadLocalKafka() finds the checkout's launcher", async () => {
  const kafka = await loadLocalKafka();
  assert.equal(typeof kafka.start, "function");
});

Deno.test("the program's module graph holds no development tooling (dev/) and only src/", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../../src/main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const root = new URL("../../", import.meta.url).href;
  const local = graph.modules.map((m) => m.specifier).filter((s) => s.startsWith(root));
  assert.ok(local.length > 50, `expected the program's modules, got ${local.length}`);
  const outside = local.filter((s) => !s.startsWith(`${root}src/`));
  assert.deepEqual(outside, [], "modules of the program outside src/");
});
