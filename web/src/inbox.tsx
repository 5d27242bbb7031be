import { useEffect, useState } from 'preact/hooks';
import { onFailure, type Session } from './api.js';
import { date, duration } from './format.js';
import { t } from './i18n.js';
import { latestEvents, NUDGE_TYPES, type FeedEvent } from './live.js';

/** A nudge in words, for the member it is about. */
function describe(event: FeedEvent, nameOf: (accountId: string) => string, session: Session): string {
  const data = event.data;
  switch (event.type) {
    case 'transfer.confirmation_due': {
      const waitingOnMe = data.payerAccountId === session.accountId;
      const other = nameOf(String(waitingOnMe ? data.payeeAccountId : data.payerAccountId));
      const minutes = duration(Number(data.minutes));
      return t(waitingOnMe ? 'member.inbox.waitingOnYou' : 'member.inbox.waitingOnThem', { other, time: minutes });
    }
    case 'member.dormant':
      return t('member.inbox.dormant');
    case 'listing.expiring':
      return t('member.inbox.expiring', { title: String(data.title), date: date(String(data.expiresAt)) });
    case 'account.near_floor':
      return t('member.inbox.nearFloor', { time: duration(Number(data.availableMinutes)) });
    default:
      return event.type;
  }
}

/** The member's nudges, newest first; `live` are those the event stream brought since the page opened. */
export function Inbox({ session, live, nameOf, onExpired }: { session: Session; live: FeedEvent[]; nameOf: (accountId: string) => string; onExpired: () => void }) {
  const [earlier, setEarlier] = useState<FeedEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    latestEvents(session.token, session.timebankId, NUDGE_TYPES, 10)
      .then((found) => setEarlier(found.items))
      .catch(onFailure(onExpired, setError));
  }, []);
  const shown = [...live, ...earlier.filter((event) => !live.some((each) => each.id === event.id))].slice(0, 10);
  return (
    <section aria-labelledby="inbox-heading">
      <h2 id="inbox-heading">{t('member.inbox.title')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {shown.length === 0 ? (
        <p>{t('member.inbox.empty')}</p>
      ) : (
        <ul class="inbox">
          {shown.map((event) => (
            <li key={event.id} data-testid="inbox-item">
              <span>{describe(event, nameOf, session)}</span> <time dateTime={event.occurredAt}>{date(event.occurredAt)}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
