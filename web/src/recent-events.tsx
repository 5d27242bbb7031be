import { useEffect, useState } from 'preact/hooks';
import { onFailure, type Session } from './api.js';
import { date, duration } from './format.js';
import { followEvents, latestEvents, type FeedEvent } from './live.js';

const SHOWN = 15;

/** What an event is about, in a few words. */
function summary(event: FeedEvent, names: Map<string, string>): string {
  const data = event.data;
  const person = (accountId: unknown) => names.get(String(accountId)) ?? 'the community pot';
  if (event.type.startsWith('transfer.')) return `${duration(Number(data.minutes))}, ${person(data.payerAccountId)} → ${person(data.payeeAccountId)} (${String(data.status)})`;
  if (event.type.startsWith('member.')) return String(data.displayName ?? '');
  if (event.type.startsWith('listing.')) return String(data.title ?? '');
  if (event.type === 'account.near_floor') return `${person(data.id)}: ${duration(Number(data.availableMinutes))} left`;
  if (event.type === 'webhook.disabled') return String(data.url ?? '');
  return '';
}

/** The timebank's latest events, newest first, kept up to date as they happen. */
export function RecentEvents({ session, names, onExpired }: { session: Session; names: Map<string, string>; onExpired: () => void }) {
  const [events, setEvents] = useState<FeedEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = () => {};
    let stopped = false;
    latestEvents(session.token, session.timebankId, null, SHOWN)
      .then(({ items, head }) => {
        if (stopped) return;
        setEvents(items);
        stop = followEvents(session.timebankId, head, (event) => setEvents((shown) => [event, ...(shown ?? [])].slice(0, SHOWN)));
      })
      .catch(onFailure(onExpired, setError));
    return () => {
      stopped = true;
      stop();
    };
  }, []);
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Recent events</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {events && events.length === 0 && <p>Nothing has happened yet.</p>}
      {events && events.length > 0 && (
        <table class="changes">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">About</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id} data-testid="recent-event">
                <td>{date(event.occurredAt)}</td>
                <td>{event.type}</td>
                <td>{summary(event, names)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
