import { describe, expect, it } from "vitest";
import { ActiveClock } from "../../src/engine/telemetry-active.js";

const M = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);

describe("ActiveClock", () => {
  it("counts the time any run of a pipeline was in flight once, overlapping runs included", () => {
    const clock = new ActiveClock();
    clock.started("a", M + 1000);
    clock.started("a", M + 2000);
    expect(clock.ended("a", M + 3000)).toEqual([]);
    expect(clock.ended("a", M + 4000)).toEqual([{ minute: M, pipeline: "a", ms: 3000 }]);
    // idle from 4 s to 10 s: not counted
    clock.started("a", M + 10_000);
    expect(clock.ended("a", M + 10_500)).toEqual([{ minute: M, pipeline: "a", ms: 500 }]);
  });

  it("cuts at minute boundaries, and hands out open time at a flush without counting it twice", () => {
    const clock = new ActiveClock();
    clock.started("b", M + 59_000);
    expect(clock.takeOpen(M + 60_500)).toEqual([
      { minute: M, pipeline: "b", ms: 1000 },
      { minute: M + 60_000, pipeline: "b", ms: 500 },
    ]);
    expect(clock.ended("b", M + 61_000)).toEqual([{ minute: M + 60_000, pipeline: "b", ms: 500 }]);
    expect(clock.ended("b", M + 62_000)).toEqual([]);
  });
});
