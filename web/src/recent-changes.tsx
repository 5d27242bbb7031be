import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Page, type Session } from './api.js';
import { date } from './format.js';

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
    if (actor.type === 'admin') return 'a platform admin';
    if (actor.type === 'system' || !actor.id) return 'the service';
    return names.get(actor.id) ?? `${actor.type === 'client' ? 'partner app' : 'member'} ${actor.id.slice(0, 8)}`;
  };
  return (
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading">Recent changes</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {entries && entries.length === 0 && <p>No changes recorded yet.</p>}
      {entries && entries.length > 0 && (
        <table class="changes">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Changes</th>
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
