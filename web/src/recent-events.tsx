import { useEffect, useState } from 'preact/hooks';
import { onFailure, type Session } from './api.js';
import { date, duration } from './format.js';
import { t } from './i18n.js';
import { followEvents, latestEvents, type FeedEvent } from './live.js';

const SHOWN = 15;

/** What an event is about, in a few words. */
function summary(event: FeedEvent, names: Map<string, string>): string {
  const data = event.data;
  const person = (accountId: unknown) => names.get(String(accountId)) ?? t('activity.commons');
  if (event.type.startsWith('transfer.')) return `${duration(Number(data.minutes))}, ${person(data.payerAccountId)} → ${person(data.payeeAccountId)} (${t('activity.status', { status: String(data.status) })})`;
  if (event.type.startsWith('member.')) return String(data.displayName ?? '');
  if (event.type.startsWith('listing.')) return String(data.title ?? '');
  if (event.type === 'account.near_floor') return t('activity.left', { name: person(data.id), time: duration(Number(data.availableMinutes)) });
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
      <h2 id="events-heading">{t('activity.events')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {events && events.length === 0 && <p>{t('activity.eventsNone')}</p>}
      {events && events.length > 0 && (
        <table class="changes">
          <thead>
            <tr>
              <th scope="col">{t('activity.when')}</th>
              <th scope="col">{t('activity.what')}</th>
              <th scope="col">{t('activity.about')}</th>
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
