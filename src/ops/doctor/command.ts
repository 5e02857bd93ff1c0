import { keelCommand } from "../db-files.js";
import type { DoctorContext } from "./types.js";

/** A keel command line for the home the doctor looks at (`--home` added unless it is the default). */
export function keelFix(ctx: Pick<DoctorContext, "home">, args: string): string {
  return keelCommand(ctx.home, args);
}

/** "12.3 s" / "4.0 min" / "2.5 h" / "3.1 d": an age an operator reads at a glance. */
export function age(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
