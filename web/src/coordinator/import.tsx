import { useState } from 'preact/hooks';
import { json } from '../api.js';
import { date, duration, signed } from '../format.js';
import { FailureMessage } from '../forms.js';
import { t } from '../i18n.js';
import type { MessageId } from '../messages/index.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, commonsName, Done, useAction } from './common.js';

/*
 * Import from other timebank software (docs/import.md): choose the two CSV files, preview the
 * import (a dry run: every problem row by file, line and column, or what it would create and
 * each balance after it), then apply it, all or nothing, after a confirmation.
 */

type Format = 'timeoverflow' | 'generic';
type Problem = { file: 'members' | 'transfers'; line: number; field: string | null; message: string };
type Account = {
  kind: 'member' | 'commons';
  externalId: string | null;
  displayName: string;
  newMember: boolean;
  transfers: number;
  givenMinutes: number;
  receivedMinutes: number;
  balanceMinutes: number;
};
type ImportResult = {
  id: string | null;
  dryRun: boolean;
  alreadyImported: boolean;
  members: number;
  transfers: number;
  minutes: number;
  firstPostedAt: string | null;
  lastPostedAt: string | null;
  accounts: Account[];
  problems: Problem[];
  problemsTruncated: boolean;
};
type Chosen = { name: string; text: string };

/** The most one import takes, as the service sets it. */
const MAX_BYTES = 20 * 1024 * 1024;

const formats: Record<Format, { label: MessageId; members: MessageId; transfers: MessageId }> = {
  timeoverflow: { label: 'import.timeoverflow', members: 'import.timeoverflow.members', transfers: 'import.timeoverflow.transfers' },
  generic: { label: 'import.generic', members: 'import.generic.members', transfers: 'import.generic.transfers' },
};

function FilePicker({ id, label, hint, chosen, onChosen, onError }: { id: string; label: string; hint: string; chosen: Chosen | null; onChosen: (file: Chosen | null) => void; onError: (message: string | null) => void }) {
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept=".csv,text/csv,text/plain"
        aria-describedby={`${id}-hint`}
        onChange={async (event) => {
          const file = event.currentTarget.files?.[0];
          onError(null);
          if (!file) return onChosen(null);
          if (file.size > MAX_BYTES) {
            onChosen(null);
            return onError(t('import.tooLarge', { file: file.name }));
          }
          onChosen({ name: file.name, text: await file.text() });
        }}
      />
      <p id={`${id}-hint`} class="hint">
        {hint}
        {chosen ? ` ${t('import.chosen', { name: chosen.name })}` : ''}
      </p>
    </>
  );
}

export function ImportPage({ session, onExpired }: PageProps) {
  const [format, setFormat] = useState<Format>('timeoverflow');
  const [members, setMembers] = useState<Chosen | null>(null);
  const [transfers, setTransfers] = useState<Chosen | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [applied, setApplied] = useState<ImportResult | null>(null);
  const { failure, done, busy, run } = useAction(onExpired);
  const body = (dryRun: boolean) => ({ format, ...(members ? { members: members.text } : {}), ...(transfers ? { transfers: transfers.text } : {}), dryRun });
  // Any change of the files or the format asks for a new preview.
  const changed = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    setPreview(null);
    setApplied(null);
  };

  const check = (event: Event) => {
    event.preventDefault();
    setApplied(null);
    void run(async () => {
      setPreview(null);
      setPreview(await json<ImportResult>(session.token, `${baseOf(session)}/imports`, { method: 'POST', body: body(true) }));
    });
  };
  const apply = () => {
    if (!preview) return;
    const question = t('import.question', { members: preview.members, transfers: preview.transfers, time: duration(preview.minutes) });
    if (!window.confirm(question)) return;
    void run(async () => {
      const result = await json<ImportResult>(session.token, `${baseOf(session)}/imports`, { method: 'POST', body: body(false) });
      setApplied(result);
      setPreview(null);
      return result.alreadyImported ? t('import.again') : t('import.done', { members: result.members, transfers: result.transfers });
    });
  };
  const spec = formats[format];
  const ready = preview && !preview.alreadyImported && preview.problems.length === 0 && (preview.members > 0 || preview.transfers > 0);

  return (
    <main class="wide">
      <h1>{t('import.title')}</h1>
      <p>{t('import.about')}</p>
      <form onSubmit={check}>
        <Choice id="import-format" label={t('import.format')} field="format" failure={failure} value={format} onChange={(value) => changed(setFormat)(value as Format)}>
          {(Object.keys(formats) as Format[]).map((key) => (
            <option key={key} value={key}>
              {t(formats[key].label)}
            </option>
          ))}
        </Choice>
        <FilePicker id="import-members" label={t('import.membersFile')} hint={t('import.columns', { columns: t(spec.members) })} chosen={members} onChosen={changed(setMembers)} onError={setFileError} />
        <FilePicker id="import-transfers" label={t('import.transfersFile')} hint={t('import.columns', { columns: t(spec.transfers) })} chosen={transfers} onChosen={changed(setTransfers)} onError={setFileError} />
        {fileError && (
          <p class="error" role="alert">
            {fileError}
          </p>
        )}
        <button type="submit" disabled={busy || (!members && !transfers)}>
          {busy && !preview ? t('import.checking') : t('import.preview')}
        </button>
      </form>
      <FailureMessage failure={failure} />
      <Done message={done} />
      {preview && <Preview result={preview} />}
      {ready && (
        <button type="button" onClick={apply} disabled={busy} data-testid="apply-import">
          {busy ? t('import.importing') : t('import.apply', { members: preview.members, transfers: preview.transfers })}
        </button>
      )}
      {applied && !applied.alreadyImported && <Accounts result={applied} caption={t('import.imported')} />}
    </main>
  );
}

function Preview({ result }: { result: ImportResult }) {
  if (result.alreadyImported) {
    return (
      <p class="ok" role="status">
        {t('import.before', { members: result.members, transfers: result.transfers })}
      </p>
    );
  }
  if (result.problems.length > 0) {
    return (
      <section aria-labelledby="import-problems-title">
        <h2 id="import-problems-title">{t(result.problemsTruncated ? 'import.problemsTruncated' : 'import.problems', { count: result.problems.length })}</h2>
        <p>{t('import.correct')}</p>
        <div class="scroll" role="group" aria-labelledby="import-problems-title" tabIndex={0}>
          <table data-testid="import-problems">
            <thead>
              <tr>
                <th scope="col">{t('import.file')}</th>
                <th scope="col">{t('import.line')}</th>
                <th scope="col">{t('import.column')}</th>
                <th scope="col">{t('import.problem')}</th>
              </tr>
            </thead>
            <tbody>
              {result.problems.map((problem, index) => (
                <tr key={index}>
                  <td>{t('import.fileName', { file: problem.file })}</td>
                  <td>{problem.line}</td>
                  <td>{problem.field ?? '—'}</td>
                  <td>{problem.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    );
  }
  return <Accounts result={result} caption={t('import.wouldDo')} />;
}

function Accounts({ result, caption }: { result: ImportResult; caption: string }) {
  return (
    <section aria-labelledby="import-summary-title">
      <h2 id="import-summary-title">{caption}</h2>
      <p data-testid="import-summary">
        {result.firstPostedAt
          ? t('import.summaryDates', { members: result.members, transfers: result.transfers, time: duration(result.minutes), from: date(result.firstPostedAt), to: date(result.lastPostedAt) })
          : t('import.summary', { members: result.members, transfers: result.transfers, time: duration(result.minutes) })}
      </p>
      <div class="scroll" role="group" aria-labelledby="import-summary-title" tabIndex={0}>
        <table data-testid="import-accounts">
          <thead>
            <tr>
              <th scope="col">{t('import.account')}</th>
              <th scope="col">{t('import.externalId')}</th>
              <th scope="col">{t('import.transfers')}</th>
              <th scope="col">{t('import.gave')}</th>
              <th scope="col">{t('import.received')}</th>
              <th scope="col">{t('import.balanceAfter')}</th>
            </tr>
          </thead>
          <tbody>
            {result.accounts.map((account) => (
              <tr key={account.externalId ?? 'commons'}>
                <th scope="row">
                  {account.newMember ? t('import.new', { name: account.displayName }) : account.kind === 'commons' ? commonsName() : account.displayName}
                </th>
                <td>{account.externalId ?? '—'}</td>
                <td>{account.transfers}</td>
                <td>{duration(account.givenMinutes)}</td>
                <td>{duration(account.receivedMinutes)}</td>
                <td>{signed(account.balanceMinutes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
