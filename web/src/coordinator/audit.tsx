import { useEffect, useState } from 'preact/hooks';
import { ApiError, json, type Page } from '../api.js';
import { dateTime } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { PageProps } from '../pages.js';
import { baseOf, useAccounts } from './common.js';

/*
 * The audit log: every privileged change, newest first, with who made it and what it changed,
 * filtered by action or by the changed resource's id.
 */

type Entry = {
  id: string;
  at: string;
  actor: { type: 'member' | 'client' | 'admin' | 'system'; id: string | null };
  action: string;
  target: { type: string; id: string };
  changes: Record<string, [unknown, unknown]>;
  requestId: string | null;
};

const shown = (value: unknown) => (value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value));

export function AuditPage({ session, onExpired }: PageProps) {
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [filters, setFilters] = useState({ action: '', target: '' });
  const fail = (caught: unknown) => (caught instanceof ApiError && caught.status === 401 ? onExpired() : setFailure(caught));
  const { members, nameOf } = useAccounts(session, fail);
  const memberNames = new Map(members.map((member) => [member.id, member.displayName]));
  const path = (after: string | null) => {
    const params = new URLSearchParams({ limit: '50' });
    if (filters.action) params.set('action', filters.action);
    if (filters.target) params.set('target', filters.target);
    if (after) params.set('cursor', after);
    return `${baseOf(session)}/audit-log?${params.toString()}`;
  };
  const load = (after: string | null) => {
    setFailure(null);
    json<Page<Entry>>(session.token, path(after))
      .then((page) => {
        setEntries((current) => (after ? [...(current ?? []), ...page.items] : page.items));
        setCursor(page.nextCursor);
      })
      .catch(fail);
  };
  useEffect(() => load(null), [filters]);
  const who = (actor: Entry['actor']) => {
    if (actor.type === 'admin') return t('activity.admin');
    if (actor.type === 'system' || !actor.id) return t('activity.service');
    return actor.type === 'client' ? t('activity.client', { id: actor.id.slice(0, 8) }) : (memberNames.get(actor.id) ?? t('activity.member', { id: actor.id.slice(0, 8) }));
  };
  const what = (entry: Entry) => {
    if (entry.target.type === 'member') return memberNames.get(entry.target.id) ?? entry.target.id;
    if (entry.target.type === 'account') return t('settings.audit.account', { name: nameOf(entry.target.id) });
    return `${entry.target.type} ${entry.target.id.slice(0, 8)}`;
  };

  return (
    <main class="wide">
      <h1>{t('app.page.audit')}</h1>
      <form
        class="title-row"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ action: action.trim(), target: target.trim() });
        }}
      >
        <div>
          <label for="audit-action">{t('settings.audit.action')}</label>
          <input id="audit-action" value={action} onInput={(event) => setAction(event.currentTarget.value)} placeholder={t('settings.audit.actionPlaceholder')} />
          <FieldMessage failure={failure} field="action" />
        </div>
        <div>
          <label for="audit-target">{t('settings.audit.target')}</label>
          <input id="audit-target" value={target} onInput={(event) => setTarget(event.currentTarget.value)} />
          <FieldMessage failure={failure} field="target" />
        </div>
        <button type="submit">{t('settings.audit.filter')}</button>
      </form>
      <FailureMessage failure={failure} />
      {entries === null ? (
        <p aria-busy="true">{t('settings.audit.loading')}</p>
      ) : entries.length === 0 ? (
        <p>{t(filters.action || filters.target ? 'settings.audit.noneFiltered' : 'settings.audit.none')}</p>
      ) : (
        <div class="scroll" role="group" aria-label={t('app.page.audit')} tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('activity.when')}</th>
                <th scope="col">{t('activity.who')}</th>
                <th scope="col">{t('activity.what')}</th>
                <th scope="col">{t('settings.audit.changed')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id} data-testid="audit-entry" data-action={entry.action}>
                  <td>{dateTime(entry.at)}</td>
                  <td>{who(entry.actor)}</td>
                  <td>
                    {entry.action}: {what(entry)}
                  </td>
                  <td>
                    {Object.entries(entry.changes).map(([field, [before, after]]) => (
                      <div key={field}>
                        {field}: {shown(before)} → {shown(after)}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => load(cursor)}>
          {t('settings.audit.older')}
        </button>
      )}
    </main>
  );
}
