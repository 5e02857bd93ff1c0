import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * A uPlot chart. `data[0]` is the x values (unix seconds for time series, indexes for bars); each
 * further row is a series. The figures are also given as a table for screen readers.
 */
export interface ChartSeries {
  label: string;
  color: string;
  bars?: boolean;
}

export function Chart(props: {
  title: string;
  data: number[][];
  series: ChartSeries[];
  time?: boolean;
  /** x labels for an index axis */
  categories?: string[];
  unit?: string;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el || props.data.length === 0) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const categories = props.categories;
    const options: uPlot.Options = {
      title: props.title,
      width: Math.max(320, el.clientWidth || 600),
      height: props.height ?? 220,
      scales: { x: { time: props.time ?? true } },
      axes: [
        categories
          ? { values: (_u, ticks) => ticks.map((t) => categories[t] ?? ""), rotate: -20 }
          : {},
        { label: props.unit },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? s.color : `${s.color}22`,
          paths: s.bars ? bars : undefined,
          points: { show: false },
        })),
      ],
    };
    const plot = new uPlot(options, props.data as uPlot.AlignedData, el);
    const onResize = (): void => plot.setSize({ width: el.clientWidth, height: options.height });
    addEventListener("resize", onResize);
    return () => {
      removeEventListener("resize", onResize);
      plot.destroy();
    };
  }, [JSON.stringify(props.data), props.title]);
  return (
    <figure class="chart">
      <div ref={holder} aria-hidden="true" />
      <figcaption class="sr-only">{props.title}</figcaption>
    </figure>
  );
}
