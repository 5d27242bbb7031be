import { useState } from 'preact/hooks';
import { json } from '../api.js';
import { date, duration, signed } from '../format.js';
import { FailureMessage } from '../forms.js';
import type { PageProps } from '../pages.js';
import { baseOf, Choice, COMMONS_NAME, Done, useAction } from './common.js';

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

const formats: Record<Format, { label: string; members: string; transfers: string }> = {
  timeoverflow: {
    label: 'TimeOverflow (its import files, no header row)',
    members: 'member_id, entry_date, name, surname, second surname, gender, date_of_birth, phone, alt_phone, email',
    transfers: 'source_id, source_type, destination_id, destination_type, amount in seconds, created_at, reason, post_id',
  },
  generic: {
    label: 'Generic CSV (with a header row)',
    members: 'externalId, displayName, email, and optionally kind, joinedAt, phone',
    transfers: 'payerExternalId, payeeExternalId, minutes, postedAt, and optionally description ("commons" names the community pot)',
  },
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
            return onError(`${file.name} is larger than 20 MiB, the most one import takes: split it by date and import the parts in order.`);
          }
          onChosen({ name: file.name, text: await file.text() });
        }}
      />
      <p id={`${id}-hint`} class="hint">
        {hint}
        {chosen ? ` Chosen: ${chosen.name}.` : ''}
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
    const question = `Import ${preview.members} members and ${preview.transfers} transfers (${duration(preview.minutes)})? History is posted at its own dates and cannot be removed, only reversed transfer by transfer.`;
    if (!window.confirm(question)) return;
    void run(async () => {
      const result = await json<ImportResult>(session.token, `${baseOf(session)}/imports`, { method: 'POST', body: body(false) });
      setApplied(result);
      setPreview(null);
      return result.alreadyImported
        ? 'These files were imported before: nothing changed.'
        : `Imported ${result.members} members and ${result.transfers} transfers. Imported members have no password yet: set one for each on the Members page (a reset) and tell them.`;
    });
  };
  const spec = formats[format];
  const ready = preview && !preview.alreadyImported && preview.problems.length === 0 && (preview.members > 0 || preview.transfers > 0);

  return (
    <main class="wide">
      <h1>Import members and history</h1>
      <p>
        Bring a time bank's members and its transfer history from other software. Preview first: nothing changes until you apply, and then everything is imported or nothing. History keeps its
        dates, and balances end as the history leaves them, even past this time bank's limits.
      </p>
      <form onSubmit={check}>
        <Choice id="import-format" label="Format" field="format" failure={failure} value={format} onChange={(value) => changed(setFormat)(value as Format)}>
          {(Object.keys(formats) as Format[]).map((key) => (
            <option key={key} value={key}>
              {formats[key].label}
            </option>
          ))}
        </Choice>
        <FilePicker id="import-members" label="Members file (CSV)" hint={`Columns: ${spec.members}.`} chosen={members} onChosen={changed(setMembers)} onError={setFileError} />
        <FilePicker id="import-transfers" label="Transfers file (CSV)" hint={`Columns: ${spec.transfers}.`} chosen={transfers} onChosen={changed(setTransfers)} onError={setFileError} />
        {fileError && (
          <p class="error" role="alert">
            {fileError}
          </p>
        )}
        <button type="submit" disabled={busy || (!members && !transfers)}>
          {busy && !preview ? 'Checking…' : 'Preview the import'}
        </button>
      </form>
      <FailureMessage failure={failure} />
      <Done message={done} />
      {preview && <Preview result={preview} />}
      {ready && (
        <button type="button" onClick={apply} disabled={busy} data-testid="apply-import">
          {busy ? 'Importing…' : `Import ${preview.members} members and ${preview.transfers} transfers`}
        </button>
      )}
      {applied && !applied.alreadyImported && <Accounts result={applied} caption="What was imported" />}
    </main>
  );
}

function Preview({ result }: { result: ImportResult }) {
  if (result.alreadyImported) {
    return (
      <p class="ok" role="status">
        These files were imported before ({result.members} members, {result.transfers} transfers): importing them again changes nothing.
      </p>
    );
  }
  if (result.problems.length > 0) {
    const count = `${result.problems.length}${result.problemsTruncated ? ' or more' : ''}`;
    return (
      <section aria-labelledby="import-problems-title">
        <h2 id="import-problems-title">
          {count} {result.problems.length === 1 ? 'problem' : 'problems'}: nothing can be imported yet
        </h2>
        <p>Correct these rows in the files, choose them again and preview again. Lines count from the file's first line.</p>
        <div class="scroll">
          <table data-testid="import-problems">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {result.problems.map((problem, index) => (
                <tr key={index}>
                  <td>{problem.file}</td>
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
  return <Accounts result={result} caption="What the import would do" />;
}

function Accounts({ result, caption }: { result: ImportResult; caption: string }) {
  return (
    <section aria-labelledby="import-summary-title">
      <h2 id="import-summary-title">{caption}</h2>
      <p data-testid="import-summary">
        {result.members} new members, {result.transfers} transfers ({duration(result.minutes)})
        {result.firstPostedAt ? `, from ${date(result.firstPostedAt)} to ${date(result.lastPostedAt)}` : ''}.
      </p>
      <div class="scroll">
        <table data-testid="import-accounts">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Id in the files</th>
              <th scope="col">Transfers</th>
              <th scope="col">Gave</th>
              <th scope="col">Received</th>
              <th scope="col">Balance after</th>
            </tr>
          </thead>
          <tbody>
            {result.accounts.map((account) => (
              <tr key={account.externalId ?? 'commons'}>
                <th scope="row">
                  {account.kind === 'commons' ? COMMONS_NAME : account.displayName}
                  {account.newMember ? ' (new)' : ''}
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
