/**
 * The queue through which state-changing admin requests reach the trainer. The HTTP handler
 * enqueues an {@linkcode AdminCommand} and awaits its {@linkcode AdminResult}; the trainer drains
 * the queue between batches, so a command never races a batch (docs/design.md "Exactly-once model
 * updates").
 *
 * @module
 */

/** A state-changing request: write a checkpoint now, or forget the model and start over. */
export type AdminCommand = { type: "checkpoint" } | { type: "reset" };

/** The trainer's answer to an {@linkcode AdminCommand}. */
export interface AdminResult {
  /** Whether the trainer carried the command out. A `false` is answered with 409. */
  ok: boolean;
  /** A sentence for humans, e.g. `"checkpoint of batch 41 written"`. */
  message: string;
  /** The batch after which the command took effect, if it applies. Default: absent. */
  batchId?: number;
}

interface Pending {
  command: AdminCommand;
  resolve: (result: AdminResult) => void;
  reject: (error: unknown) => void;
}

/** A FIFO of admin commands, drained by the trainer between batches. */
export class AdminQueue {
  #pending: Pending[] = [];
  #closed: string | null = null;

  /** Commands waiting. */
  get size(): number {
    return this.#pending.length;
  }

  /** Enqueues `command`; resolves when the trainer has carried it out. */
  enqueue(command: AdminCommand): Promise<AdminResult> {
    if (this.#closed !== null) {
      return Promise.resolve({ ok: false, message: this.#closed });
    }
    return new Promise((resolve, reject) => this.#pending.push({ command, resolve, reject }));
  }

  /** Runs every waiting command through `execute`, in order, settling each caller's promise. */
  async drain(execute: (command: AdminCommand) => Promise<AdminResult>): Promise<void> {
    while (this.#pending.length > 0) {
      const next = this.#pending.shift()!;
      try {
        next.resolve(await execute(next.command));
      } catch (error) {
        next.reject(error);
      }
    }
  }

  /** Refuses new commands from now on and answers the waiting ones with `reason`. */
  close(reason: string): void {
    this.#closed = reason;
    for (const p of this.#pending.splice(0)) p.resolve({ ok: false, message: reason });
  }
}
