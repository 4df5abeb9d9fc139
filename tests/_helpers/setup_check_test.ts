import assert from "node:assert/strict";
import {
  commandLine,
  ensureTestTools,
  type SetupCommand,
  type SetupProbes,
  ToolSetupError,
} from "./setup_check.ts";
import { TEST_TOOLS, type TestTool, toolPath } from "./tools.ts";

const CHROMIUM: TestTool = { path: "/usr/bin/chromium", package: "chromium" };
const PROMETHEUS: TestTool = { path: "/usr/bin/prometheus", package: "prometheus" };
const PROMTOOL: TestTool = { path: "/usr/bin/promtool", package: "prometheus" };
const OPENSSL: TestTool = { path: "/usr/bin/openssl", package: "openssl" };
const TOOLS = [CHROMIUM, PROMETHEUS, PROMTOOL, OPENSSL];

/** A machine: the files that exist, who we are, whether sudo works, and what apt-get does. */
function machine(options: {
  present: string[];
  uid?: number | null;
  sudo?: boolean;
  /** Exit code per command (by its command line), or an error thrown when it is started. */
  outcome?: (line: string) => number | Error;
  /** What an install puts on disk; the packages' usual paths by default. */
  installs?: string[];
}) {
  const files = new Set(options.present);
  const calls = { uid: 0, sudo: 0 };
  const ran: SetupCommand[] = [];
  const logged: string[] = [];
  const probes: SetupProbes = {
    uid() {
      calls.uid++;
      return options.uid === undefined ? 1000 : options.uid;
    },
    sudoWorks() {
      calls.sudo++;
      return Promise.resolve(options.sudo ?? false);
    },
    exists: (path) => Promise.resolve(files.has(path)),
    run(command) {
      ran.push(command);
      const result = options.outcome?.(commandLine(command)) ?? 0;
      if (result instanceof Error) return Promise.reject(result);
      if (result === 0 && command.argv.includes("install")) {
        for (const path of options.installs ?? TOOLS.map((t) => t.path)) files.add(path);
      }
      return Promise.resolve(result);
    },
    log: (line) => logged.push(line),
  };
  return { probes, calls, ran, logged };
}

async function setupError(promise: Promise<unknown>): Promise<ToolSetupError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ToolSetupError, `not a ToolSetupError: ${error}`);
    return error;
  }
  assert.fail("ensureTestTools() resolved");
}

const MISSING = "the tests need Debian's chromium prometheus (missing /usr/bin/chromium, " +
  "/usr/bin/prometheus, /usr/bin/promtool)";

Deno.test("ensureTestTools() with nothing missing runs nothing and does not probe sudo", async () => {
  const m = machine({ present: TOOLS.map((t) => t.path), sudo: true });
  assert.deepEqual(await ensureTestTools(m.probes, TOOLS), []);
  assert.deepEqual(m.ran, []);
  assert.deepEqual(m.calls, { uid: 0, sudo: 0 });
  assert.deepEqual(m.logged, []);
});

Deno.test("ensureTestTools() as root runs apt-get without sudo, each package once", async () => {
  const m = machine({ present: [OPENSSL.path], uid: 0 });
  assert.deepEqual(await ensureTestTools(m.probes, TOOLS), ["chromium", "prometheus"]);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  assert.deepEqual(m.ran, [
    { argv: ["apt-get", "update"], env },
    {
      argv: ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "prometheus"],
      env,
    },
  ]);
  assert.equal(m.calls.sudo, 0);
  assert.deepEqual(m.logged, [
    `${MISSING}; installing them`,
    "$ DEBIAN_FRONTEND=noninteractive apt-get update",
    "$ DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium prometheus",
  ]);
});

Deno.test("ensureTestTools() not root with password-less sudo runs sudo -n apt-get", async () => {
  const m = machine({ present: [CHROMIUM.path, OPENSSL.path], uid: 1000, sudo: true });
  assert.deepEqual(await ensureTestTools(m.probes, TOOLS), ["prometheus"]);
  const sudo = ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];
  assert.deepEqual(m.ran, [
    { argv: [...sudo, "update"], env: {} },
    { argv: [...sudo, "install", "-y", "--no-install-recommends", "prometheus"], env: {} },
  ]);
  assert.equal(m.calls.sudo, 1);
  assert.deepEqual(m.logged, [
    "the tests need Debian's prometheus (missing /usr/bin/prometheus, /usr/bin/promtool); " +
    "installing them with sudo",
    "$ sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update",
    "$ sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " +
    "prometheus",
  ]);
});

Deno.test("ensureTestTools() without root or sudo names the command and runs nothing", async (t) => {
  for (const uid of [1000, null]) {
    await t.step(`uid ${uid}`, async () => {
      const m = machine({ present: [OPENSSL.path], uid, sudo: false });
      const error = await setupError(ensureTestTools(m.probes, TOOLS));
      const command = "sudo apt-get update && sudo apt-get install -y chromium prometheus";
      assert.equal(
        error.message,
        `${MISSING}; only root or password-less sudo can install them, so run: ${command}`,
      );
      assert.equal(error.command, command);
      assert.deepEqual(error.packages, ["chromium", "prometheus"]);
      assert.deepEqual(m.ran, []);
      assert.deepEqual(m.logged, []);
      assert.equal(m.calls.sudo, 1);
    });
  }
});

Deno.test("ensureTestTools() reports a failing apt-get naming the command", async (t) => {
  const byHand = "apt-get update && apt-get install -y chromium prometheus";
  await t.step("apt-get update exits 100: install is not attempted", async () => {
    const m = machine({
      present: [OPENSSL.path],
      uid: 0,
      outcome: (line) => line.endsWith("apt-get update") ? 100 : 0,
    });
    const error = await setupError(ensureTestTools(m.probes, TOOLS));
    assert.equal(
      error.message,
      "DEBIAN_FRONTEND=noninteractive apt-get update failed with exit code 100 (its output is " +
        `above); ${MISSING}, so fix that and run: ${byHand}`,
    );
    assert.equal(m.ran.length, 1);
  });
  await t.step("apt-get install exits 100", async () => {
    const m = machine({
      present: [OPENSSL.path],
      uid: 0,
      outcome: (line) => line.includes("install") ? 100 : 0,
    });
    const error = await setupError(ensureTestTools(m.probes, TOOLS));
    assert.equal(
      error.message,
      "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium " +
        `prometheus failed with exit code 100 (its output is above); ${MISSING}, so fix that ` +
        `and run: ${byHand}`,
    );
    assert.equal(m.ran.length, 2);
  });
  await t.step("sudo apt-get cannot start", async () => {
    const m = machine({
      present: [OPENSSL.path],
      uid: 1000,
      sudo: true,
      outcome: () => new Deno.errors.NotFound("No such file or directory (os error 2)"),
    });
    const error = await setupError(ensureTestTools(m.probes, TOOLS));
    assert.equal(
      error.message,
      "could not run sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update: No such file " +
        `or directory (os error 2); ${MISSING}, so run: sudo apt-get update && sudo apt-get ` +
        "install -y chromium prometheus",
    );
    assert.equal(m.ran.length, 1);
  });
});

Deno.test("ensureTestTools() fails when the install succeeds but a path is still missing", async () => {
  const m = machine({
    present: [OPENSSL.path],
    uid: 0,
    installs: [CHROMIUM.path, PROMETHEUS.path],
  });
  const error = await setupError(ensureTestTools(m.probes, TOOLS));
  assert.equal(
    error.message,
    "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium " +
      "prometheus succeeded but /usr/bin/promtool (from prometheus) is still missing: on this " +
      "system the package does not install it there, and the tests run it from that path",
  );
  assert.deepEqual(error.packages, ["chromium", "prometheus"]);
  assert.equal(m.ran.length, 2);
});

Deno.test("ensureTestTools() checks every program in TEST_TOOLS by default", async () => {
  const all = ["chromium", "prometheus", "openssl", "python3-venv"];
  const m = machine({
    present: [],
    uid: 0,
    installs: Object.values(TEST_TOOLS).map((t) => t.path),
  });
  assert.deepEqual(await ensureTestTools(m.probes), all);
  assert.deepEqual(m.ran[1].argv.slice(4), all);
});

Deno.test("toolPath() is the list's path, the one the tests run", () => {
  assert.equal(toolPath("chromium"), "/usr/bin/chromium");
  assert.equal(toolPath("promtool"), TEST_TOOLS.promtool.path);
  assert.equal(TEST_TOOLS.promtool.package, "prometheus");
  assert.equal(TEST_TOOLS.prometheus.package, "prometheus");
  assert.equal(TEST_TOOLS.pythonVenv.package, "python3-venv");
});
