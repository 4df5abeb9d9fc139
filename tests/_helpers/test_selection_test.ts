import assert from "node:assert/strict";
import { selectTests, splitTestArgs } from "./test_selection.ts";

Deno.test("splitTestArgs() tells paths from flags and flag values", () => {
  const exists = (p: string) =>
    ["tests", "tests/kafka/", "tests/a_test.ts", "/tmp/b_cluster_test.ts"].includes(p);
  assert.deepEqual(
    splitTestArgs(
      ["tests/kafka/", "--filter", "tests", "--fail-fast", "/tmp/b_cluster_test.ts", "nope"],
      exists,
    ),
    {
      paths: ["tests/kafka/", "/tmp/b_cluster_test.ts"],
      flags: ["--filter", "tests", "--fail-fast", "nope"],
      withoutClusterFiles: ["tests/kafka/", "--filter", "tests", "--fail-fast", "nope"],
    },
  );
  assert.deepEqual(splitTestArgs(["--filter=tests", "tests", "tests/a_test.ts"], exists), {
    paths: ["tests", "tests/a_test.ts"],
    flags: ["--filter=tests"],
    withoutClusterFiles: ["--filter=tests", "tests", "tests/a_test.ts"],
  });
  assert.deepEqual(splitTestArgs([], exists), { paths: [], flags: [], withoutClusterFiles: [] });
});

Deno.test("selectTests() finds the cluster test files and whether there are others", async () => {
  const root = await Deno.makeTempDir({ prefix: "select-tests-" });
  const cwd = Deno.cwd();
  try {
    const files = [
      "tests/kafka/a_kafka_test.ts",
      "tests/kafka/_collect.ts",
      "tests/cluster/b_cluster_test.ts",
      "tests/cluster/a_cluster_test.ts",
      "tests/cluster/_shared.ts",
      "tests/.artifacts/c_cluster_test.ts",
      "state/d_cluster_test.ts",
      "node_modules/x/e_test.ts",
    ];
    for (const f of files) {
      await Deno.mkdir(`${root}/${f.replace(/\/[^/]+$/, "")}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${f}`, "");
    }
    Deno.chdir(root);
    assert.deepEqual(await selectTests(["."], ["state/"]), {
      cluster: ["tests/cluster/a_cluster_test.ts", "tests/cluster/b_cluster_test.ts"],
      other: true,
    });
    assert.deepEqual(await selectTests(["tests/cluster/"]), {
      cluster: ["tests/cluster/a_cluster_test.ts", "tests/cluster/b_cluster_test.ts"],
      other: false,
    });
    assert.deepEqual(await selectTests(["tests/kafka"]), { cluster: [], other: true });
    assert.deepEqual(
      await selectTests(["./tests/cluster/b_cluster_test.ts", "tests/kafka/_collect.ts"]),
      { cluster: ["tests/cluster/b_cluster_test.ts"], other: true },
      "files named explicitly count whatever their names",
    );
    await assert.rejects(selectTests(["tests/none"]), Deno.errors.NotFound);
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(root, { recursive: true });
  }
});
