/**
 * A gauge with one series per partition, read at scrape time: what `featurize`'s and `learn`'s
 * `/metrics` show per input partition.
 *
 * @module
 */

import { Gauge, type Registry } from "prom-client";

/**
 * Registers `name` on `registers`: at each scrape, its series are reset and set to `read(item)`
 * for each of `items()`, labelled with the item's partition (an item gone is a series gone).
 */
export function partitionGauge<T extends { partition: number }>(
  registers: Registry[],
  name: string,
  help: string,
  items: () => Iterable<T>,
  read: (item: T) => number,
): Gauge<"partition"> {
  return new Gauge({
    name,
    help,
    labelNames: ["partition"],
    registers,
    collect() {
      this.reset();
      for (const item of items()) this.set({ partition: String(item.partition) }, read(item));
    },
  });
}
