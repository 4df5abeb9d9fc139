import assert from "node:assert/strict";
import { CART, CHECKOUT, PAGE_CLASSES } from "../../src/generator/funnel_model.ts";
import {
  CATEGORIES,
  cumulative,
  draw,
  DWELL,
  EXIT,
  LANDING,
  minuteOfWeek,
  productPrice,
  PRODUCTS,
  search,
  TRAFFIC,
  TRANSITIONS,
  WEEK_MINUTES,
  ZIPF_CDF,
} from "../../src/generator/funnel_site.ts";
import { Random } from "../../src/util/random.ts";

Deno.test("funnel site: transition rows and landing sum to 1; checkout only from the cart", () => {
  assert.equal(TRANSITIONS.length, PAGE_CLASSES.length - 1);
  assert.equal(DWELL.length, PAGE_CLASSES.length - 1);
  for (const [i, row] of TRANSITIONS.entries()) {
    assert.equal(row.length, EXIT + 1);
    assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-12, PAGE_CLASSES[i]);
    assert.ok(row[EXIT] > 0, `${PAGE_CLASSES[i]} has an exit`);
    if (i !== CART) assert.equal(row[CHECKOUT], 0, `${PAGE_CLASSES[i]} → checkout`);
  }
  assert.ok(TRANSITIONS[CART][CHECKOUT] > 0);
  assert.ok(Math.abs(LANDING.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  assert.equal(LANDING[CART], 0);
  assert.equal(LANDING[CHECKOUT], 0);
});

Deno.test("funnel site: the traffic factor averages 1 over the week, peaks at 19:00", () => {
  assert.equal(TRAFFIC.length, WEEK_MINUTES);
  const mean = TRAFFIC.reduce((s, x) => s + x, 0) / WEEK_MINUTES;
  assert.ok(Math.abs(mean - 1) < 1e-9, `mean ${mean}`);
  const monday = (h: number) => TRAFFIC[h * 60];
  assert.ok(monday(19) / monday(7) > 3.9);
  assert.ok(TRAFFIC[5 * 1440 + 19 * 60] / monday(19) > 1.3); // Saturday / Monday
  // 2026-01-05T00:00Z is minute 0 of a week, 2026-01-10T19:00Z (a Saturday) minute 5·1440 + 1140
  assert.equal(minuteOfWeek(1_767_571_200), 0);
  assert.equal(minuteOfWeek(1_767_571_200 + 5 * 86400 + 19 * 3600 + 59), 5 * 1440 + 19 * 60);
  assert.equal(minuteOfWeek(1_767_571_200 - 60), WEEK_MINUTES - 1);
});

Deno.test("funnel site: draw and search agree; Zipf favours low ids", () => {
  const r = new Random(1);
  const small = cumulative([0.2, 0.3, 0.5]);
  for (let i = 0; i < 20_000; i++) {
    const u = r.next();
    assert.equal(draw(small, u), search(small, u));
    assert.equal(search(ZIPF_CDF, u), draw(ZIPF_CDF, u));
  }
  assert.equal(search(ZIPF_CDF, 0), 0);
  assert.equal(search(ZIPF_CDF, 1 - 2 ** -32), PRODUCTS - 1);
  // H(5000) ≈ 9.094: product 1 is drawn with probability ≈ 0.11, product 5000 ≈ 2.2e-5
  assert.ok(Math.abs(ZIPF_CDF[0] - 1 / 9.0945) < 1e-3);
});

Deno.test("funnel site: product prices are fixed, in cents, within 5..500", () => {
  assert.equal(CATEGORIES * 25, PRODUCTS);
  let sum = 0;
  for (let id = 1; id <= PRODUCTS; id++) {
    const price = productPrice(id);
    assert.ok(price >= 5 && price <= 500, `product ${id}: ${price}`);
    assert.equal(Math.round(price * 100) / 100, price);
    assert.equal(productPrice(id), price);
    sum += price;
  }
  // 5 + 495 u³ with u uniform: mean 5 + 495 / 4 ≈ 128.75
  assert.ok(Math.abs(sum / PRODUCTS - 128.75) < 8, `mean price ${sum / PRODUCTS}`);
});
