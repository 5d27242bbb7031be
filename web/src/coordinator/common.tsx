import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { allPages, ApiError, json, type Session } from '../api.js';
import { duration } from '../format.js';
import { FieldMessage, fieldMessage, messageId } from '../forms.js';
import { locale, t } from '../i18n.js';

/*
 * What the coordinator's pages share: running an action and keeping its failure in the API's
 * words, one Idempotency-Key per intended write, labelled fields with the API's message beside
 * them, and the names of the timebank's accounts.
 */

export const baseOf = (session: Session) => `/v1/timebanks/${session.timebankId}`;

/**
 * Runs one action at a time. Its failure is kept whole (an ApiError, for FailureMessage and
 * FieldMessage); an ended session goes back to the login; what it returns is its outcome in words.
 */
export function useAction(onExpired: () => void) {
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<string | void>) => {
    setFailure(null);
    setDone(null);
    setBusy(true);
    try {
      const outcome = await action();
      if (outcome) setDone(outcome);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) onExpired();
      else setFailure(caught);
    } finally {
      setBusy(false);
    }
  };
  return { failure, done, busy, run, setDone };
}

/** An answer that did not arrive, or that asks for the same request again with the same key. */
function worthRetrying(caught: unknown): boolean {
  return caught instanceof ApiError && (caught.status === 0 || caught.status === 503 || caught.code === 'idempotency_key_in_use');
}

/**
 * One Idempotency-Key per intended write. The same form sent again after a lost answer reuses
 * the key, so the service records it once; once the service has answered (done or refused: it
 * keeps a refusal as that key's answer), or once the form says something else, a new key.
 */
export function useIdempotencyKey() {
  const attempt = useRef<{ key: string; body: string } | null>(null);
  return {
    keyFor(body: unknown): string {
      const text = JSON.stringify(body);
      if (attempt.current?.body !== text) attempt.current = { key: crypto.randomUUID(), body: text };
      return attempt.current.key;
    },
    settle(caught?: unknown): void {
      if (!worthRetrying(caught)) attempt.current = null;
    },
  };
}

/** The outcome of an action in words, announced to screen readers. */
export function Done({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="ok" role="status">
      {message}
    </p>
  );
}

type FieldProps = {
  id: string;
  label: string;
  /** The API's name for the field, which its messages name. */
  field: string;
  failure: unknown;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  hint?: string;
  autocomplete?: string;
};

/** A labelled input, with the API's message about its field beside it. */
export function Field({ id, label, field, failure, value, onInput, type = 'text', hint, autocomplete }: FieldProps) {
  const message = fieldMessage(failure, field);
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={field}
        type={type}
        value={value}
        autocomplete={autocomplete}
        aria-invalid={message ? 'true' : undefined}
        aria-describedby={[message ? messageId(field) : '', hintId ?? ''].join(' ').trim() || undefined}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
      {hint && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
      <FieldMessage failure={failure} field={field} />
    </>
  );
}

/** A labelled select, with the API's message about its field beside it. */
export function Choice({ id, label, field, failure, value, onChange, children }: { id: string; label: string; field: string; failure: unknown; value: string; onChange: (value: string) => void; children: ComponentChildren }) {
  const message = fieldMessage(failure, field);
  return (
    <>
      <label for={id}>{label}</label>
      <select id={id} name={field} value={value} aria-invalid={message ? 'true' : undefined} aria-describedby={message ? messageId(field) : undefined} onChange={(event) => onChange(event.currentTarget.value)}>
        {children}
      </select>
      <FieldMessage failure={failure} field={field} />
    </>
  );
}

/** Whole minutes from an hours field and a minutes field; what is not a number goes to the API as it is, for it to say so. */
export function minutesOf(hours: string, minutes: string): number {
  return Number(hours || '0') * 60 + Number(minutes || '0');
}

export type MemberRecord = {
  id: string;
  accountId: string;
  displayName: string;
  email: string;
  kind: 'person' | 'organisation';
  role: 'member' | 'coordinator';
  status: 'active' | 'suspended' | 'left';
  createdAt: string;
};

/** A person or the commons, as the forms offer them: an account with a name. */
export type Holder = { accountId: string; name: string; status: MemberRecord['status'] };

/** The commons account's name, as the coordinator's pages show it. */
export const commonsName = () => t('coordinator.commons');

/**
 * The timebank's members (every status) and its commons account, with a name for each account,
 * read from the coordinator's member list. `reload` reads them again.
 */
export function useAccounts(session: Session, onFailure: (caught: unknown) => void) {
  const [members, setMembers] = useState<MemberRecord[]>([]);
  const [commonsAccountId, setCommons] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    Promise.all([allPages<MemberRecord>(session.token, `${baseOf(session)}/members`), json<{ commonsAccountId: string }>(session.token, baseOf(session))])
      .then(([found, timebank]) => {
        setMembers(found);
        setCommons(timebank.commonsAccountId);
      })
      .catch(onFailure);
  }, [version]);
  const holders = useMemo<Holder[]>(() => {
    const people = members.map((member) => ({ accountId: member.accountId, name: member.displayName, status: member.status }));
    people.sort((a, b) => a.name.localeCompare(b.name, locale()));
    return commonsAccountId ? [{ accountId: commonsAccountId, name: commonsName(), status: 'active' as const }, ...people] : people;
  }, [members, commonsAccountId]);
  const names = useMemo(() => new Map(holders.map((holder) => [holder.accountId, holder.name])), [holders]);
  const nameOf = (accountId: string) => names.get(accountId) ?? t('coordinator.account', { id: accountId.slice(0, 8) });
  return { members, holders, nameOf, reload: () => setVersion((value) => value + 1) };
}

/** Options for a select of accounts: active holders, by name. */
export function HolderOptions({ holders }: { holders: Holder[] }) {
  return (
    <>
      <option value="">{t('coordinator.choose')}</option>
      {holders
        .filter((holder) => holder.status === 'active')
        .map((holder) => (
          <option key={holder.accountId} value={holder.accountId}>
            {holder.name}
          </option>
        ))}
    </>
  );
}

/** "1 h 30 min from Ada to Ben": a transfer in words, the payer first. */
export function transferWords(transfer: { minutes: number; payerAccountId: string; payeeAccountId: string }, nameOf: (accountId: string) => string): string {
  return t('coordinator.transfer', { time: duration(transfer.minutes), payee: nameOf(transfer.payeeAccountId), payer: nameOf(transfer.payerAccountId) });
}
