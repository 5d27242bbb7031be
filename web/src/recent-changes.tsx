import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Page, type Session } from './api.js';
import { date } from './format.js';
import { t } from './i18n.js';

type Entry = {
  id: string;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string };
  changes: Record<string, [unknown, unknown]>;
};

/** A change as a coordinator reads it: "role: member → coordinator". */
function describe(changes: Entry['changes']): string {
  return Object.entries(changes)
    .map(([field, [before, after]]) => (before === null || before === undefined ? `${field}: ${String(after)}` : `${field}: ${String(before)} → ${String(after)}`))
    .join('; ');
}

/** The latest privileged changes from the audit log, with who made them. */
export function RecentChanges({ session, names, onExpired }: { session: Session; names: Map<string, string>; onExpired: () => void }) {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    json<Page<Entry>>(session.token, `/v1/timebanks/${session.timebankId}/audit-log?limit=10`)
      .then((page) => setEntries(page.items))
      .catch(onFailure(onExpired, setError));
  }, []);
  const who = (actor: Entry['actor']) => {
    if (actor.type === 'admin') return t('activity.admin');
    if (actor.type === 'system' || !actor.id) return t('activity.service');
    return names.get(actor.id) ?? t(actor.type === 'client' ? 'activity.client' : 'activity.member', { id: actor.id.slice(0, 8) });
  };
  return (
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading">{t('activity.changes')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {entries && entries.length === 0 && <p>{t('activity.changesNone')}</p>}
      {entries && entries.length > 0 && (
        <table class="changes">
          <thead>
            <tr>
              <th scope="col">{t('activity.when')}</th>
              <th scope="col">{t('activity.who')}</th>
              <th scope="col">{t('activity.what')}</th>
              <th scope="col">{t('activity.changed')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>{date(entry.at)}</td>
                <td>{who(entry.actor)}</td>
                <td>
                  {entry.action} ({entry.target.type === 'member' ? (names.get(entry.target.id) ?? entry.target.type) : entry.target.type})
                </td>
                <td>{describe(entry.changes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
