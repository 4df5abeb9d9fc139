/**
 * The direct response patch hands kafkajs' request queue exactly what kafkajs' own
 * `Connection.processData` does: the same responses (size, correlation id, payload bytes), in
 * order, whether they come whole from a framed socket (the fast path) or as arbitrary chunks
 * (kafkajs' own path, which the patch leaves them to). Run on an unpatched copy of kafkajs'
 * `Connection` (`_pristine_kafkajs.ts`), patched here. And a framed socket, against a server on
 * 127.0.0.1 writing responses in pieces, emits each response whole as one `data`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import {
  directResponseCalls,
  framedSocketFactory,
  installDirectResponse,
  type SocketFactory,
} from "../../src/kafka/direct_response.ts";
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

interface Fulfilled {
  size: number;
  correlationId: number;
  payload: Buffer;
}

type ProcessData = (this: unknown, rawData: Buffer) => unknown;

const Connection = pristineKafkaJs("src/network/connection.js") as {
  prototype: { processData: ProcessData };
};
const kafkajsProcessData = Connection.prototype.processData;
installDirectResponse({
  socketFactory: { exports: pristineKafkaJs("src/network/socketFactory.js") },
  connection: { exports: Connection },
});
const patchedProcessData = Connection.prototype.processData;

/** The state of a kafkajs `Connection` that `processData` reads, its request queue a probe. */
function connectionState(got: Fulfilled[]) {
  return {
    bytesBuffered: 0,
    bytesNeeded: 4,
    chunks: [] as Buffer[],
    authHandlers: null,
    authExpectResponse: false,
    requestQueue: { fulfillRequest: (response: Fulfilled) => got.push(response) },
  };
}

/** `count` responses: size, correlation id `i`, a payload of `i`-derived bytes of random length. */
function responses(count: number, seed: number): Buffer[] {
  let a = seed;
  const next = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296;
  return Array.from({ length: count }, (_, i) => {
    const payload = Math.floor(next() < 0.2 ? next() * 200_000 : next() * 300);
    const bytes = Buffer.alloc(8 + payload, i & 0xff);
    bytes.writeInt32BE(4 + payload, 0);
    bytes.writeInt32BE(i, 4);
    return bytes;
  });
}

const plain = (r: Fulfilled) => ({
  size: r.size,
  correlationId: r.correlationId,
  payload: Buffer.from(r.payload).toString("base64"),
});

/** kafkajs' own `processData` over `stream` in chunks of `chunk` bytes. */
function kafkajsResponses(stream: Buffer, chunk: number): Fulfilled[] {
  const own: Fulfilled[] = [];
  const state = connectionState(own);
  for (let at = 0; at < stream.length; at += chunk) {
    kafkajsProcessData.call(state, Buffer.from(stream.subarray(at, at + chunk)));
  }
  return own;
}

Deno.test("chunks that are not a framed socket's whole responses go to kafkajs' own path", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const stream = Buffer.concat(responses(40, seed));
    for (const chunk of [65_536, 1 + seed * 997]) {
      const own = kafkajsResponses(stream, chunk);
      assert.equal(own.length, 40);
      const before = directResponseCalls().processData;
      const viaPatch: Fulfilled[] = [];
      const state = connectionState(viaPatch);
      for (let at = 0; at < stream.length; at += chunk) {
        patchedProcessData.call(state, Buffer.from(stream.subarray(at, at + chunk)));
      }
      assert.deepEqual(viaPatch.map(plain), own.map(plain), `seed ${seed}, chunks of ${chunk}`);
      assert.equal(directResponseCalls().processData - before, 0, "none on the fast path");
    }
  }
});

Deno.test("a framed socket emits each response whole, and its responses take the fast path", async () => {
  const sent = responses(60, 99);
  const stream = Buffer.concat(sent);
  const server = net.createServer((socket) => {
    // In pieces that cut responses and size fields anywhere.
    let at = 0;
    const write = () => {
      while (at < stream.length) {
        const n = 1 + ((at * 7919) % 90_000);
        const more = socket.write(stream.subarray(at, at + n));
        at += n;
        if (!more) return void socket.once("drain", write);
      }
      socket.end();
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const makeFactory = framedSocketFactory(
    pristineKafkaJs("src/network/socketFactory.js") as () => SocketFactory,
  );
  const before = directResponseCalls();
  const got: Fulfilled[] = [];
  const state = connectionState(got);
  const socket = await new Promise<net.Socket>((resolve) => {
    const s = makeFactory()({ host: "127.0.0.1", port, ssl: null, onConnect: () => resolve(s) });
  });
  const frames: Buffer[] = [];
  socket.on("data", (frame: Buffer) => {
    frames.push(frame);
    patchedProcessData.call(state, frame);
  });
  await new Promise((resolve) => socket.on("end", resolve));
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  assert.equal(frames.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.ok(frames[i].equals(sent[i]), `response ${i}`);
  const after = directResponseCalls();
  assert.equal(after.socketFactory - before.socketFactory, 1);
  assert.equal(after.processData - before.processData, sent.length, "every response fast");
  assert.deepEqual(got.map(plain), kafkajsResponses(stream, 65_536).map(plain));
  assert.deepEqual(got.map((r) => r.correlationId), sent.map((_, i) => i));
});
