import assert from "node:assert/strict";
import {
  CART,
  CHECKOUT,
  dayOfWeek,
  funnelActionProbabilities,
  funnelPurchaseLogit,
  funnelPurchaseProbability,
  HOME,
  hourOfDay,
  newFunnelView,
  NO_PAGE,
  PAGE_CLASSES,
  pageClassOf,
  PRODUCT,
} from "../../src/generator/funnel_model.ts";

Deno.test("pageClassOf() reads the path's first segment, ignoring the query", () => {
  const cases: [string, string][] = [
    ["/", "home"],
    ["", "home"],
    ["/home?aBcDeF", "home"],
    ["/search?q=shoes", "search"],
    ["/category/17", "category"],
    ["/product/4999?x", "product"],
    ["/products?abcdef", "product"],
    ["/cart", "cart"],
    ["/checkout#pay", "checkout"],
    ["/about", "about"],
    ["/blog/3", "blog"],
    ["/admin/x", "other"],
    ["/cartography", "other"],
  ];
  for (const [url, page] of cases) assert.equal(PAGE_CLASSES[pageClassOf(url)], page, url);
});

Deno.test("hourOfDay() and dayOfWeek() are UTC", () => {
  for (const ts of [0, 946_684_800, 1_767_571_200, 1_767_657_599, 1_800_000_123, 4_102_444_799]) {
    const d = new Date(ts * 1000);
    assert.equal(hourOfDay(ts), d.getUTCHours(), `${ts}`);
    assert.equal(dayOfWeek(ts), d.getUTCDay(), `${ts}`);
  }
});

Deno.test("funnel model: probabilities sum to 1 and move as documented", () => {
  const v = newFunnelView();
  const out = new Float64Array(4);
  const q = (change: (view: typeof v) => void) => {
    const w = newFunnelView();
    w.hour = 12;
    w.dayOfWeek = 3;
    change(w);
    return funnelPurchaseProbability(w);
  };
  for (let page = 0; page < PAGE_CLASSES.length; page++) {
    v.page = page;
    funnelActionProbabilities(v, out);
    assert.ok(Math.abs(out[0] + out[1] + out[2] + out[3] - 1) < 1e-12);
    assert.equal(out[3], 1 / (1 + Math.exp(-funnelPurchaseLogit(v))));
  }
  assert.ok(q((w) => (w.page = CHECKOUT)) > q((w) => (w.page = CART)));
  assert.ok(q((w) => (w.page = CART)) > q((w) => (w.page = PRODUCT)));
  assert.ok(q((w) => (w.page = PRODUCT)) > q((w) => (w.page = HOME)));
  assert.ok(q((w) => (w.hour = 20)) > q((w) => (w.hour = 8)));
  assert.ok(q((w) => (w.dayOfWeek = 6)) > q((w) => (w.dayOfWeek = 1)));
  assert.ok(q((w) => (w.previous = CART)) > q((w) => (w.previous = NO_PAGE)));
  assert.ok(q((w) => (w.actionCounts[0] = 3)) > q(() => {}));
  assert.ok(q((w) => (w.actionCounts[3] = 1)) < q(() => {}));
  assert.ok(q((w) => (w.secondsSincePrevious = 120)) > q(() => {}));
  // the drift moves conversion from the cart to the product page
  const drifted = (page: number) => q((w) => ((w.page = page), (w.drifted = true)));
  assert.ok(drifted(PRODUCT) > q((w) => (w.page = PRODUCT)));
  assert.ok(drifted(CART) < q((w) => (w.page = CART)));
  // seconds since start is visible but unused
  assert.equal(q((w) => (w.secondsSinceStart = 999)), q(() => {}));
});

Deno.test("pageClassOf() says other for a segment that is a property of every object", () => {
  const other = PAGE_CLASSES.indexOf("other");
  for (const segment of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    assert.equal(pageClassOf(`/${segment}/7?q`), other, segment);
  }
});
