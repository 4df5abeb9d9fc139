/**
 * The trainer's consumer-group member id, kept in its state directory (`MEMBER`, JSON) and
 * rewritten after every group join. A trainer that takes over the stale lock of a dead one reads
 * it to remove that member from the group at once (see `src/kafka/evict_member.ts`) instead of
 * waiting for the coordinator to time out its session.
 *
 * @module
 */

import { join } from "node:path";

/** Which member of which group a trainer was last. */
export interface GroupMember {
  /** The consumer group's id. */
  group: string;
  /** The member id the group coordinator gave at the last join. */
  memberId: string;
}

const FILE = "MEMBER";

/** Records `member` in `dir` (written to a temporary file, then renamed over the old one). */
export async function writeGroupMember(dir: string, member: GroupMember): Promise<void> {
  const file = join(dir, FILE);
  const temp = `${file}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(member) + "\n");
  await Deno.rename(temp, file);
}

/** The member recorded in `dir`, or `null` when there is none (or it is unreadable). */
export async function readGroupMember(dir: string): Promise<GroupMember | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(dir, FILE)));
    if (typeof value?.group === "string" && typeof value?.memberId === "string") {
      return { group: value.group, memberId: value.memberId };
    }
  } catch { /* missing or torn: nothing to go on */ }
  return null;
}
