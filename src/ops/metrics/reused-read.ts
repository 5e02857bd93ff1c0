import { Gauge, type Registry, type RegistryContentType } from "prom-client";

/**
 * A store read made when Prometheus scrapes, shared by the gauges of both formats and reused for
 * `cacheMs`, so that a scrape every second (or two Prometheus servers scraping) costs the store one
 * read per second at most. Counts that walk every pending run grow with the queue, so after a slow
 * read the figures are reused for 500 times its duration (at most 30 s): such reads then take at
 * most 0.2 % of the node's time however often it is scraped (the scrape budget is 2 % in all).
 */
const readShare = 500;
const longestReuseMs = 30_000;

export class ReusedRead<T> {
  private last: { at: number; value: T } | undefined;
  private reading: Promise<T> | undefined;
  /** how long the last figures are reused: cacheMs, or longer after a slow read */
  private reuseMs: number;

  constructor(
    private readonly load: (at: number) => Promise<T>,
    private readonly cacheMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.reuseMs = cacheMs;
  }

  /** the figures of the last read while they are fresh; one read at a time otherwise */
  get(): Promise<T> {
    const now = this.clock();
    if (this.last && now - this.last.at < this.reuseMs) return Promise.resolve(this.last.value);
    this.reading ??= this.read(now).finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** gauges in these registries, each set from these figures at each scrape (old label sets dropped) */
  gaugesIn(
    registers: Registry<RegistryContentType>[],
  ): (
    name: string,
    help: string,
    labelNames: string[],
    set: (g: Gauge, figures: T) => void,
  ) => Gauge {
    const get = () => this.get();
    return (name, help, labelNames, set) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const figures = await get();
          this.reset();
          set(this, figures);
        },
      });
  }

  private async read(at: number): Promise<T> {
    const started = performance.now();
    const value = await this.load(at);
    this.last = { at, value };
    const took = performance.now() - started;
    this.reuseMs = Math.max(this.cacheMs, Math.min(longestReuseMs, took * readShare));
    return value;
  }
}
