/**
 * Step latency growth: how much longer steps take now than they usually do. Each step (pipeline
 * and name) has a baseline duration; a window's growth is the sum of its steps' durations over the
 * sum of their baselines, so long steps weigh more than trivial ones, and a window whose baselines
 * add up to less than `minBaselineMs` says nothing (a few sub-millisecond steps are noise).
 *
 * Baselines move by weighted averages: halfway towards a faster duration at once, a tenth of the
 * way towards a slower one in a calm window, and only a five-hundredth of the way in a window
 * under pressure, so a slowdown that lasts for minutes becomes the new normal instead of holding
 * the node at its minimum forever.
 */
const towardsFaster = 0.5;
const towardsSlowerCalm = 0.1;
const towardsSlowerPressed = 0.002;

export class StepLatency {
  private readonly baselines = new Map<string, number>();
  private window: { key: string; ms: number }[] = [];

  constructor(private readonly minBaselineMs = 20) {}

  record(key: string, ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.window.push({ key, ms });
  }

  /** The growth of the window so far (null when it says nothing); the window stays open. */
  growth(): number | null {
    let observed = 0;
    let expected = 0;
    for (const { key, ms } of this.window) {
      const base = this.baselines.get(key);
      if (base === undefined) continue;
      observed += ms;
      expected += base;
    }
    return expected >= this.minBaselineMs ? observed / expected : null;
  }

  /** Closes the window and folds its durations into the baselines. */
  close(pressed: boolean): void {
    const up = pressed ? towardsSlowerPressed : towardsSlowerCalm;
    for (const { key, ms } of this.window) {
      const base = this.baselines.get(key);
      if (base === undefined) this.baselines.set(key, ms);
      else this.baselines.set(key, base + (ms - base) * (ms < base ? towardsFaster : up));
    }
    this.window = [];
  }
}
