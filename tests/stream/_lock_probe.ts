// Takes the state lock of Deno.args[0], waiting up to Deno.args[1] ms (default 0) for a live
// owner, and prints "acquired" or the refusal; run by state_lock_test.ts with permissions
// limited to that directory (no /proc).
import { acquireStateLock } from "../../src/stream/state_lock.ts";
try {
  const lock = await acquireStateLock(Deno.args[0], { waitMs: Number(Deno.args[1] ?? 0) });
  console.log(lock.tookOver ? "took over" : "acquired");
  await lock.release();
} catch (error) {
  console.log(`refused: ${(error as Error).message}`);
}
