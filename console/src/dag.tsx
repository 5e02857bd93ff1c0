/**
 * A run's steps as a graph: each step in the column of its longest path from a root, edges from
 * the steps it runs after, coloured by the step's state. Keyboard: every node is a button.
 */
export interface DagStep {
  name: string;
  after: string[];
  state: string;
}

const W = 170;
const H = 38;
const GAP_X = 50;
const GAP_Y = 16;

export function layout(steps: DagStep[]): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const byName = new Map(steps.map((s) => [s.name, s]));
  const depthOf = (name: string, seen = new Set<string>()): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const step = byName.get(name);
    const d =
      step && step.after.length > 0 ? 1 + Math.max(...step.after.map((a) => depthOf(a, seen))) : 0;
    depth.set(name, d);
    return d;
  };
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const s of steps) {
    const d = depthOf(s.name);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    at.set(s.name, { x: d * (W + GAP_X), y: row * (H + GAP_Y) });
  }
  return at;
}

export function Dag(props: {
  steps: DagStep[];
  selected?: string | null;
  onPick?: (step: string) => void;
}) {
  const at = layout(props.steps);
  const width = Math.max(...[...at.values()].map((p) => p.x)) + W + 2;
  const height = Math.max(...[...at.values()].map((p) => p.y)) + H + 2;
  return (
    <svg
      class="dag"
      width={width}
      height={height}
      viewBox={`-1 -1 ${width} ${height}`}
      role="group"
      aria-label="the run's steps as a graph"
    >
      {props.steps.flatMap((s) =>
        s.after.map((from) => {
          const a = at.get(from);
          const b = at.get(s.name);
          if (!a || !b) return null;
          return (
            <path
              key={`${from}->${s.name}`}
              class="edge"
              d={`M${a.x + W},${a.y + H / 2} C${a.x + W + GAP_X / 2},${a.y + H / 2} ${b.x - GAP_X / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}`}
            />
          );
        }),
      )}
      {props.steps.map((s) => {
        const p = at.get(s.name);
        if (!p) return null;
        return (
          <g
            key={s.name}
            class={`node state-${s.state}${props.selected === s.name ? " selected" : ""}`}
            transform={`translate(${p.x},${p.y})`}
            role="button"
            tabIndex={0}
            aria-label={`step ${s.name}: ${s.state}`}
            data-step={s.name}
            onClick={() => props.onPick?.(s.name)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                props.onPick?.(s.name);
              }
            }}
          >
            <rect width={W} height={H} rx={6} />
            <text x={10} y={16}>
              {s.name.length > 22 ? `${s.name.slice(0, 21)}…` : s.name}
            </text>
            <text x={10} y={31} class="sub">
              {s.state}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** the steps a retry from `from` clears: it and everything downstream of it */
export function downstreamOf(steps: { name: string; after: string[] }[], from: string): string[] {
  const out = new Set<string>([from]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of steps)
      if (!out.has(s.name) && s.after.some((a) => out.has(a))) {
        out.add(s.name);
        grew = true;
      }
  }
  return steps.map((s) => s.name).filter((n) => out.has(n));
}
