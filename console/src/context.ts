import { createContext } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { call, type Role, type Session } from "./api.js";
import type { LiveState } from "./live.js";
import type { TransitionJson } from "./wire.js";

/** What every page gets: the session, the API bound to it, and the live event feed. */
export interface ConsoleContext {
  session: Session;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** may the session's role do what needs `role`? */
  can(role: Role): boolean;
  liveState: LiveState;
  /** bumps on each transition (a little debounced): pages refetch on it */
  liveVersion: number;
  subscribe(fn: (t: TransitionJson) => void): () => void;
  announce(message: string): void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error("the console context is missing");
  return value;
}

const roles: Role[] = ["viewer", "operator", "admin"];
export function roleAllows(have: Role, need: Role): boolean {
  return roles.indexOf(have) >= roles.indexOf(need);
}

export function boundApi(token: string) {
  return {
    get: <T>(path: string) => call<T>(token, "GET", path),
    post: <T>(path: string, body?: unknown) => call<T>(token, "POST", path, body ?? {}),
  };
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** GET `path` now, again when it changes, and on live changes when `live` is set */
export function useData<T>(path: string | null, live = true): Loaded<T> {
  const ctx = useConsole();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const version = live ? ctx.liveVersion : 0;
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setLoading(true);
    ctx.get<T>(path).then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (e: Error) => {
        if (!current) return;
        setError(e.message);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [path, tick, version]);
  return { data, error, loading, reload };
}
