/**
 * A sampling heap profile of another Deno process over its inspector (`--inspect=HOST:PORT`):
 * `HeapProfiler.startSampling` with the objects the collectors freed kept (so the young
 * generation's garbage shows), then `stopSampling`. `bench/scale.ts --learn-heap-profile DIR`
 * takes one of `learn`'s steady part (docs/design.md "Where `learn`'s time goes"); the file loads
 * in Chrome's DevTools (Memory → load a `.heapprofile`), and {@linkcode topAllocators} sums it by
 * function.
 *
 * @module
 */

/** A node of a sampling heap profile (the CDP `SamplingHeapProfileNode`). */
export interface HeapProfileNode {
  /** The function and where it is. */
  callFrame: { functionName: string; url: string; lineNumber: number };
  /** Bytes sampled in this function itself, at this stack. */
  selfSize: number;
  /** Its node id. */
  id: number;
  /** The functions it called. */
  children: HeapProfileNode[];
}

/** A sampling heap profile (the CDP `SamplingHeapProfile`). */
export interface HeapProfile {
  /** The root of the call tree. */
  head: HeapProfileNode;
  /** Every sample, the collected objects' too (a node's `selfSize` counts the live ones only). */
  samples: { size: number; nodeId: number }[];
}

/** A sampling session on one process's inspector. */
export class HeapSampling {
  #ws: WebSocket;
  #next = 0;
  #pending = new Map<number, (result: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string) as { id?: number; result?: unknown };
      const done = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (done !== undefined) {
        this.#pending.delete(m.id!);
        done(m.result);
      }
    };
  }

  /**
   * Connects to the inspector at `host:port` and starts sampling every `interval` bytes.
   *
   * @throws {Error} when the inspector lists no target
   */
  static async start(host: string, port: number, interval = 8192): Promise<HeapSampling> {
    const targets = await (await fetch(`http://${host}:${port}/json/list`)).json() as {
      webSocketDebuggerUrl: string;
    }[];
    if (targets.length === 0) throw new Error(`The inspector at ${host}:${port} lists no target.`);
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const s = new HeapSampling(ws);
    await s.#call("HeapProfiler.enable");
    await s.#call("HeapProfiler.startSampling", {
      samplingInterval: interval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return s;
  }

  /** Stops sampling, closes the session and returns the profile. */
  async stop(): Promise<HeapProfile> {
    const { profile } = await this.#call("HeapProfiler.stopSampling") as { profile: HeapProfile };
    this.#ws.close();
    return profile;
  }

  #call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#next;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#pending.set(id, resolve));
  }
}

/** The `n` functions that allocated the most in `profile`: `[name file:line, bytes]`, largest first. */
export function topAllocators(profile: HeapProfile, n = 10): [string, number][] {
  const byNode = new Map<number, number>();
  for (const s of profile.samples) byNode.set(s.nodeId, (byNode.get(s.nodeId) ?? 0) + s.size);
  const bytes = new Map<string, number>();
  const walk = (node: HeapProfileNode) => {
    const f = node.callFrame, size = byNode.get(node.id) ?? 0;
    const name = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    if (size > 0) bytes.set(name, (bytes.get(name) ?? 0) + size);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, n);
}
