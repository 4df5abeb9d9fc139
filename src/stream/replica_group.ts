/**
 * The consumer group of one `learn` replica. Every replica reads the whole feature log, so no two
 * may share a group (a group gives the log's one partition to one member: the other would learn
 * nothing). Unless `--group` names one, a replica's group is `clickstream-learner-<id>`, the id
 * made up once and kept in its state directory (`GROUP`), so it is the same across restarts and
 * differs between state directories — on one machine or many.
 *
 * @module
 */

import { join } from "node:path";

/** The prefix of a derived group. */
export const LEARNER_GROUP_PREFIX = "clickstream-learner";

const FILE = "GROUP";

/**
 * The group recorded in `dir`, or a new `<prefix>-<random id>` recorded there now (written to a
 * temporary file, then renamed; the caller holds the directory's lock).
 */
export async function replicaGroup(dir: string, prefix = LEARNER_GROUP_PREFIX): Promise<string> {
  const file = join(dir, FILE);
  try {
    const text = (await Deno.readTextFile(file)).trim();
    if (text !== "") return text;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const group = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${file}.tmp`, group + "\n");
  await Deno.rename(`${file}.tmp`, file);
  return group;
}
