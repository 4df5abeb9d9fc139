/**
 * Member eviction: a member left behind in the consumer group — by a trainer killed with
 * SIGKILL, by this trainer's consumer that failed while the broker was away, or by a consumer
 * kafkajs restarted as a new member — holds its partitions until the coordinator expires its
 * session. {@linkcode GroupMembership} removes such members at once through an injected `evict`
 * port (`src/kafka/evict_member.ts` in `train`), and keeps track of this process's own member id
 * since its consumer's last join (recorded through `record`, so that a successor can remove it).
 *
 * Removal that must wait for the broker (a restarted consumer's former member) is retried at a
 * fixed interval with the one retry loop (`src/util/retry.ts`), bounded in count, until it
 * succeeds or the signal aborts.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { retry } from "../util/retry.ts";

/** What became of an eviction request (see `evictGroupMember`). */
export type EvictOutcome = "removed" | "not-a-member";

/** Options of {@linkcode GroupMembership}. */
export interface GroupMembershipOptions {
  /** The consumer group (for the report lines). Required. */
  group: string;
  /** Removes a member from the group; rejects when the coordinator cannot be reached. Required. */
  evict: (memberId: string) => Promise<EvictOutcome>;
  /** Records this process's member id after each join (the state directory). Default: none. */
  record?: (memberId: string) => Promise<void>;
  /** Report lines. Default: none. */
  log?: (line: string) => void;
  /** Stops background removals. Default: none. */
  signal?: AbortSignal;
  /** The clock of the retries. Default: the system clock. */
  clock?: Clock;
  /** Wait between background removal attempts, ms. Default `1000`. */
  retryIntervalMs?: number;
  /** Background removal attempts in all. Default `60`. */
  retryAttempts?: number;
}

/** This process's group member and the removal of stale ones; see the module documentation. */
export class GroupMembership {
  #o: GroupMembershipOptions;
  #member: string | undefined;
  #background = new Set<Promise<boolean>>();

  /**
   * Creates the membership; it knows no member until its consumer joins.
   *
   * @param options see {@linkcode GroupMembershipOptions}
   */
  constructor(options: GroupMembershipOptions) {
    this.#o = options;
  }

  /** This process's member id since its consumer's last join, if it still holds. */
  get member(): string | undefined {
    return this.#member;
  }

  /**
   * Removes `memberId` (`whose`: who it belonged to, for the report) now; resolves `true` once it
   * is out of the group, `false` when the coordinator could not be reached (reported unless
   * `quiet`).
   */
  async remove(memberId: string, whose: string, quiet = false): Promise<boolean> {
    const { group, log } = this.#o;
    try {
      const outcome = await this.#o.evict(memberId);
      log?.(
        outcome === "removed"
          ? `removed ${whose} member ${memberId} from group ${group}`
          : `${whose} member ${memberId} had already left group ${group}`,
      );
      return true;
    } catch (error) {
      if (!quiet) {
        log?.(
          `warning: ${
            (error as Error).message
          }; joining waits until the group drops ${whose} member`,
        );
      }
      return false;
    }
  }

  /**
   * Keeps trying (quietly: the broker may still be away) until `memberId` is out of the group,
   * the attempts run out or the signal aborts. Resolves `true` once removed.
   */
  removeSoon(memberId: string, whose: string): Promise<boolean> {
    const done = retry(async () => {
      if (!await this.remove(memberId, whose, true)) throw new Error(`${memberId} not removed`);
      return true;
    }, {
      initialDelayMs: this.#o.retryIntervalMs ?? 1000,
      factor: 1,
      maxAttempts: this.#o.retryAttempts ?? 60,
      signal: this.#o.signal,
      clock: this.#o.clock,
    }).catch(() => false);
    this.#background.add(done);
    done.finally(() => this.#background.delete(done));
    return done;
  }

  /** Background removals still running (for tests and shutdown). */
  settled(): Promise<boolean[]> {
    return Promise.all(this.#background);
  }

  /** The consumer joined the group as `memberId`: remember it, and record it. */
  async joined(memberId: string): Promise<void> {
    this.#member = memberId;
    await this.#o.record?.(memberId);
  }

  /** kafkajs restarted the consumer as a new member: remove the former one (in the background). */
  restarted(previous: string): void {
    if (this.#member === previous) this.#member = undefined;
    void this.removeSoon(previous, "the restarted consumer's former");
  }

  /**
   * Before a new consumer replaces a failed one: the failed one's member may still be in the
   * group (its leave request went nowhere while the broker was away). Quiet: the connect that
   * follows reports an outage.
   */
  async beforeReconnect(): Promise<void> {
    const member = this.#member;
    if (member !== undefined && await this.remove(member, "the failed consumer's", true)) {
      if (this.#member === member) this.#member = undefined;
    }
  }
}
