import assert from "node:assert/strict";
import { findPath, TEST_TOOLS } from "./tools.ts";

Deno.test("findPath() matches * within one segment, first in sorted order", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const dir of ["python3.9", "python3.11/ensurepip", "python3.12/ensurepip", "py.x/y"]) {
      await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    }
    await Deno.writeTextFile(`${root}/python3.11/ensurepip/__init__.py`, "");
    await Deno.writeTextFile(`${root}/python3.12/ensurepip/__init__.py`, "");
    await Deno.writeTextFile(`${root}/plain`, "");
    const init = (v: string) => `${root}/python3.${v}/ensurepip/__init__.py`;
    assert.equal(await findPath(init("*")), init("11"));
    assert.equal(await findPath(`${root}/python*/ensurepip/__init__.py`), init("11"));
    assert.equal(await findPath(`${root}/*/*/__init__.py`), init("11"));
    assert.equal(await findPath(init("1*")), init("11"));
    assert.equal(await findPath(init("9*")), null, "python3.9 has no ensurepip");
    assert.equal(await findPath(`${root}/python3.*/venv/__init__.py`), null);
    // a '.' in the pattern is a dot, not any character; '*' never crosses a '/'
    assert.equal(await findPath(`${root}/py.x/*`), `${root}/py.x/y`);
    assert.equal(await findPath(`${root}/py.*/ensurepip`), null);
    assert.equal(await findPath(`${root}/python3*__init__.py`), null);
    // without a '*': the path itself
    assert.equal(await findPath(`${root}/plain`), `${root}/plain`);
    assert.equal(await findPath(`${root}/plain/below`), null, "a file is no directory");
    assert.equal(await findPath(`${root}/plain/*`), null);
    assert.equal(await findPath(`${root}/missing/*/x`), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("findPath() rejects a relative pattern, naming it", async () => {
  await assert.rejects(
    () => findPath("usr/lib/python3.*"),
    new TypeError('Cannot find path "usr/lib/python3.*": expected an absolute path.'),
  );
});

Deno.test("every TEST_TOOLS path is absolute, python3-venv known by ensurepip", () => {
  for (const tool of Object.values(TEST_TOOLS)) assert.ok(tool.path.startsWith("/"), tool.path);
  assert.match(TEST_TOOLS.pythonVenv.path, /^\/usr\/lib\/python3\.\*\/ensurepip\//);
});
