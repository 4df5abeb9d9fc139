import assert from "node:assert/strict";
import { join } from "node:path";
import { LEARNER_GROUP_PREFIX, replicaGroup } from "../../src/stream/replica_group.ts";

Deno.test("replicaGroup() makes up a group once per state directory and keeps it", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  try {
    const first = await replicaGroup(a);
    assert.match(first, new RegExp(`^${LEARNER_GROUP_PREFIX}-[0-9a-f]{8}$`));
    assert.equal(await replicaGroup(a), first, "the same across restarts");
    assert.equal((await Deno.readTextFile(join(a, "GROUP"))).trim(), first);
    assert.notEqual(await replicaGroup(b), first, "another directory, another group");
    const fresh = join(b, "not-yet");
    assert.match(await replicaGroup(fresh, "x"), /^x-[0-9a-f]{8}$/);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
