import { useState } from "preact/hooks";
import { useConsole, useData } from "../context.js";
import { ago } from "../format.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Section, Head } from "../ui.js";
import type { BreakerJson } from "../wire.js";

/** Breakers: state and why, the latest changes, trip (with a reason) and reset. */
export function Breakers() {
  const { post, announce } = useConsole();
  const list = useData<{ breakers: BreakerJson[] }>("/v1/breakers?history=10");
  const [dialog, setDialog] = useState<{ name: string; what: "trip" | "reset" } | null>(null);
  const breakers = list.data?.breakers ?? [];
  return (
    <>
      <h1>Breakers</h1>
      <ErrorNote error={list.error} />
      {list.data && breakers.length === 0 && <p>No breaker is defined.</p>}
      {breakers.map((b) => (
        <Section key={b.name} title={b.name} id={`breaker-${b.name}`}>
          <p data-breaker={b.name} data-state={b.state}>
            <Badge value={b.state} /> {b.manual ? "(tripped by an operator) " : ""}
            {b.reason ?? ""} — {b.failures}/{b.failure_threshold} failures
            {b.opened_at ? `, open since ${ago(b.opened_at)}` : ""}
          </p>
          <div class="row">
            <ActionButton
              need="operator"
              danger
              onClick={() => setDialog({ name: b.name, what: "trip" })}
              label={`trip ${b.name}`}
            >
              Trip…
            </ActionButton>
            <ActionButton
              need="operator"
              onClick={() => setDialog({ name: b.name, what: "reset" })}
              label={`reset ${b.name}`}
            >
              Reset…
            </ActionButton>
          </div>
          {b.history.length > 0 && (
            <table>
              <caption>latest changes</caption>
              <Head cols={["When", "From → to", "Why", "Who"]} />
              <tbody>
                {b.history.map((h, i) => (
                  <tr key={i}>
                    <td>{ago(h.at)}</td>
                    <td>
                      {h.from} → {h.to}
                    </td>
                    <td>{h.reason}</td>
                    <td>{h.actor}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      ))}
      {dialog && (
        <ActionDialog
          title={`${dialog.what === "trip" ? "Trip" : "Reset"} ${dialog.name}`}
          confirm={
            dialog.what === "trip" ? "Open it on every node" : "Close it: deferred runs are due now"
          }
          danger={dialog.what === "trip"}
          fields={[
            dialog.what === "trip"
              ? { name: "reason", label: "Reason (for the audit log)", required: true }
              : { name: "note", label: "Note (optional)" },
          ]}
          onSubmit={async (v) => {
            const body =
              dialog.what === "trip" ? { reason: v.reason } : v.note ? { note: v.note } : {};
            await post(`/v1/breakers/${encodeURIComponent(dialog.name)}/${dialog.what}`, body);
            announce(`Breaker ${dialog.name} ${dialog.what === "trip" ? "tripped" : "reset"}`);
            list.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
