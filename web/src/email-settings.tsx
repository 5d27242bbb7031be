import { useEffect, useState } from 'preact/hooks';
import { json, onFailure, type Session } from './api.js';
import { t } from './i18n.js';
import type { MessageId } from './messages/index.js';

type Notifications = { claims: boolean; digest: boolean };

const KINDS: Array<[keyof Notifications, MessageId]> = [
  ['claims', 'member.emails.claims'],
  ['digest', 'member.emails.digest'],
];

/** The member's choice of emails (sent when the time bank has email set up), each saved as it is ticked. */
export function EmailSettings({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const path = `/v1/timebanks/${session.timebankId}/members/${session.memberId}`;
  const [notifications, setNotifications] = useState<Notifications | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    json<{ notifications: Notifications }>(session.token, path)
      .then((member) => setNotifications(member.notifications))
      .catch(onFailure(onExpired, setError));
  }, []);
  const change = (kind: keyof Notifications, on: boolean) => {
    setError(null);
    setSaved(null);
    json<{ notifications: Notifications }>(session.token, path, { method: 'PATCH', body: { notifications: { [kind]: on } } })
      .then((member) => {
        setNotifications(member.notifications);
        setSaved(t('member.emails.saved'));
      })
      .catch(onFailure(onExpired, setError));
  };
  return (
    <section aria-labelledby="email-heading">
      <h2 id="email-heading">{t('member.emails.title')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {notifications &&
        KINDS.map(([kind, label]) => (
          <p key={kind}>
            <label class="inline">
              <input type="checkbox" checked={notifications[kind]} onChange={(event) => change(kind, (event.target as HTMLInputElement).checked)} /> {t(label)}
            </label>
          </p>
        ))}
      {saved && <p role="status">{saved}</p>}
    </section>
  );
}
