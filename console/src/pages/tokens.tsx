import { useState } from "preact/hooks";
import { useConsole, useData } from "../context.js";
import { ago } from "../format.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Section, Head } from "../ui.js";
import type { TokenJson } from "../wire.js";

/** API tokens (admin): create one (its text is shown once), revoke one. */
export function Tokens() {
  const { post, announce, can } = useConsole();
  const list = useData<{ tokens: TokenJson[] }>(can("admin") ? "/v1/tokens" : null, false);
  const [dialog, setDialog] = useState<"create" | { revoke: TokenJson } | null>(null);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  if (!can("admin"))
    return (
      <>
        <h1>Tokens</h1>
        <p>Managing tokens needs the admin role.</p>
      </>
    );
  return (
    <>
      <h1>Tokens</h1>
      <ErrorNote error={list.error} />
      <ActionButton need="admin" onClick={() => setDialog("create")}>
        Create a token…
      </ActionButton>
      {shown && (
        <Section title={`Token ${shown.name}`}>
          <p role="status">Copy it now: it is shown once and never again.</p>
          <input
            readOnly
            value={shown.token}
            aria-label="the new token"
            class="token"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={() => setShown(null)}>
            Done
          </button>
        </Section>
      )}
      <table>
        <caption class="sr-only">API tokens</caption>
        <Head cols={["Name", "Role", "Created", "Last used", "State", "Actions"]} />
        <tbody>
          {(list.data?.tokens ?? []).map((t) => (
            <tr key={t.id} data-token={t.name}>
              <th scope="row">{t.name}</th>
              <td>{t.role}</td>
              <td>
                {ago(t.created_at)} by {t.created_by}
              </td>
              <td>{ago(t.last_used_at)}</td>
              <td>{t.revoked ? <Badge value="revoked" /> : <Badge value="active" />}</td>
              <td>
                {!t.revoked && (
                  <ActionButton
                    need="admin"
                    danger
                    onClick={() => setDialog({ revoke: t })}
                    label={`revoke ${t.name}`}
                  >
                    Revoke…
                  </ActionButton>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {dialog === "create" && (
        <ActionDialog
          title="Create a token"
          confirm="Create"
          fields={[
            {
              name: "name",
              label: "Name (who or what uses it)",
              required: true,
              placeholder: "grafana",
            },
            {
              name: "role",
              label: "Role",
              kind: "select",
              options: ["viewer", "operator", "admin"],
            },
          ]}
          onSubmit={async (v) => {
            const created = await post<{ name: string; token: string }>("/v1/tokens", {
              name: v.name,
              role: v.role,
            });
            setShown({ name: created.name, token: created.token });
            announce(`Token ${created.name} created`);
            list.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog && dialog !== "create" && (
        <ActionDialog
          title={`Revoke ${dialog.revoke.name}`}
          confirm="Revoke: it never works again"
          danger
          fields={[{ name: "reason", label: "Reason (optional)" }]}
          onSubmit={async (v) => {
            await post(
              `/v1/tokens/${dialog.revoke.id}/revoke`,
              v.reason ? { reason: v.reason } : {},
            );
            announce(`Token ${dialog.revoke.name} revoked`);
            list.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}
