import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Role } from "./api.js";
import { useConsole } from "./context.js";

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value.replace(/[^a-z_-]/gi, "")}`}>{value}</span>;
}

export function ErrorNote({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Section(props: { title: string; id?: string; children: ComponentChildren }) {
  const id = props.id ?? `section-${props.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** a button for a change: disabled, with the reason, when the role does not allow it */
export function ActionButton(props: {
  need: Role;
  onClick: () => void;
  children: ComponentChildren;
  danger?: boolean;
  label?: string;
}) {
  const { can } = useConsole();
  const allowed = can(props.need);
  return (
    <button
      type="button"
      class={props.danger ? "danger" : ""}
      disabled={!allowed}
      aria-label={props.label}
      title={allowed ? undefined : `needs the ${props.need} role`}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

export interface Field {
  name: string;
  label: string;
  required?: boolean;
  placeholder?: string;
  kind?: "text" | "select";
  options?: string[];
}

/**
 * A modal form for a change: its fields (a reason, a note), an optional preview of what it will
 * do, and Confirm. The native <dialog> keeps focus inside and closes on Escape.
 */
export function ActionDialog(props: {
  title: string;
  fields: Field[];
  confirm: string;
  danger?: boolean;
  preview?: ComponentChildren;
  onSubmit: (values: Record<string, string>) => Promise<void>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const values: Record<string, string> = {};
    for (const f of props.fields) values[f.name] = String(form.get(f.name) ?? "").trim();
    setBusy(true);
    try {
      await props.onSubmit(values);
      ref.current?.close();
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={props.onClose}>
      <form method="dialog" onSubmit={(e) => void submit(e)}>
        <h2 id="dialog-title">{props.title}</h2>
        {props.preview}
        {props.fields.map((f) => (
          <label key={f.name}>
            {f.label}
            {f.kind === "select" ? (
              <select name={f.name} required={f.required}>
                {(f.options ?? []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : (
              <input
                name={f.name}
                required={f.required}
                placeholder={f.placeholder}
                maxLength={1000}
                autoComplete="off"
              />
            )}
          </label>
        ))}
        <ErrorNote error={error} />
        <div class="row">
          <button type="submit" class={props.danger ? "danger" : "primary"} disabled={busy}>
            {busy ? "Working…" : props.confirm}
          </button>
          <button
            type="button"
            onClick={() => {
              ref.current?.close();
              props.onClose();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** a table's header row: one column heading each */
export function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
