import { useState } from 'preact/hooks';
import { ApiError, json, type Session } from '../api.js';
import { newKey } from '../format.js';
import { FailureMessage, FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import { fieldAttributes, plural, timebankPath, useRun, WEEKDAYS, type AvailabilityWindow, type Category, type Listing, type ListingKind } from './common.js';
import { CategorySelect, KindChoice, Messages, TextField } from './fields.js';
import { LocationInputs } from './point-picker.js';

/*
 * One form for posting an offer or a request and for editing one: every field the API takes
 * from a member, each with the API's message beside it when it refuses the form.
 */

type Props = {
  session: Session;
  categories: Category[];
  /** The listing being edited; none to post a new one. */
  listing?: Listing;
  onSaved: (saved: Listing) => void;
  onCancel?: () => void;
  onExpired: () => void;
};

/** The form's text as typed: the body is made of it only when it is sent. */
type Draft = {
  kind: ListingKind;
  title: string;
  description: string;
  categoryId: string;
  tags: string;
  lat: string;
  lon: string;
  remote: boolean;
  maxDistanceKm: string;
  availability: AvailabilityWindow[];
  endsOn: string;
};

function draftOf(listing: Listing | undefined): Draft {
  return {
    kind: listing?.kind ?? 'offer',
    title: listing?.title ?? '',
    description: listing?.description ?? '',
    categoryId: listing?.categoryId ?? '',
    tags: listing?.tags.join(', ') ?? '',
    lat: listing?.location ? String(listing.location.lat) : '',
    lon: listing?.location ? String(listing.location.lon) : '',
    remote: listing?.remote ?? false,
    maxDistanceKm: listing?.maxDistanceKm === null || listing?.maxDistanceKm === undefined ? '' : String(listing.maxDistanceKm),
    availability: listing?.availability ?? [],
    endsOn: listing?.expiresAt ? listing.expiresAt.slice(0, 10) : '',
  };
}

/** A number as typed, or the text itself, so that the API names what is wrong with it in its own words. */
const numberOrText = (text: string): number | string => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text);

function bodyOf(draft: Draft, listing: Listing | undefined): Record<string, unknown> {
  const editing = listing !== undefined;
  const located = draft.lat.trim() !== '' || draft.lon.trim() !== '';
  return {
    title: draft.title,
    description: draft.description,
    categoryId: draft.categoryId,
    tags: draft.tags.split(',').map((tag) => tag.trim()).filter((tag) => tag !== ''),
    location: located ? { lat: numberOrText(draft.lat), lon: numberOrText(draft.lon) } : null,
    remote: draft.remote,
    availability: draft.availability.length > 0 ? draft.availability : null,
    // An offer has no distance of its own; a request's empty distance keeps the default.
    ...(draft.kind === 'request' && draft.maxDistanceKm.trim() !== '' ? { maxDistanceKm: numberOrText(draft.maxDistanceKm) } : {}),
    ...(draft.kind === 'request' && editing && draft.maxDistanceKm.trim() === '' ? { maxDistanceKm: null } : {}),
    // The listing ends at the end of the day chosen, in UTC; an end date left as it was is not sent.
    ...(draft.endsOn === (listing?.expiresAt?.slice(0, 10) ?? '') ? {} : { expiresAt: draft.endsOn ? `${draft.endsOn}T23:59:59Z` : null }),
  };
}

export function ListingForm({ session, categories, listing, onSaved, onCancel, onExpired }: Props) {
  const [draft, setDraft] = useState<Draft>(draftOf(listing));
  // One key per listing meant: a retry after a lost answer cannot post it twice. A refusal is an
  // answer too (replayed for that key), so a corrected form is sent with a new key.
  const [key, setKey] = useState(newKey());
  const { failure, busy, run } = useRun(onExpired);
  const set = <K extends keyof Draft>(field: K) => (value: Draft[K]) => setDraft((current) => ({ ...current, [field]: value }));
  const prefix = listing ? `edit-${listing.id}` : 'new-listing';
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const path = `${timebankPath(session)}/${plural(draft.kind)}`;
      const saved = listing
        ? await json<Listing>(session.token, `${path}/${listing.id}`, { method: 'PATCH', body: bodyOf(draft, listing) })
        : await json<Listing>(session.token, path, { method: 'POST', body: bodyOf(draft, undefined), idempotencyKey: key }).catch((caught: unknown) => {
            if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) setKey(newKey());
            throw caught;
          });
      if (!listing) {
        setDraft(draftOf(undefined));
        setKey(newKey());
      }
      onSaved(saved);
    });
  };
  const common = { failure };
  return (
    <form onSubmit={submit} class="listing-form" aria-label={listing ? t('listings.editLabel', { title: listing.title }) : t('listings.post')}>
      {!listing && <KindChoice name={`${prefix}-kind`} legend={t('listings.what')} kind={draft.kind} labels={{ offer: t('listings.canOffer'), request: t('listings.need') }} onChange={set('kind')} />}
      <TextField {...common} id={`${prefix}-title`} label={t('listings.title')} field="title" value={draft.title} onInput={set('title')} required />
      <TextField {...common} id={`${prefix}-description`} label={t('listings.description')} field="description" value={draft.description} onInput={set('description')} multiline />
      <CategorySelect {...common} id={`${prefix}-category`} categories={categories} value={draft.categoryId} emptyLabel={t('listings.choose')} required onChange={set('categoryId')} />
      <TextField {...common} id={`${prefix}-tags`} label={t('listings.tags')} field="tags" value={draft.tags} onInput={set('tags')} hint={t('listings.tagsHint')} />
      <fieldset>
        <legend>{t('listings.where')}</legend>
        <LocationInputs prefix={prefix} lat={draft.lat} lon={draft.lon} failure={failure} fieldPrefix="location." onChange={(lat, lon) => setDraft((current) => ({ ...current, lat, lon }))} />
        <p class="hint">{t('listings.whereHint')}</p>
      </fieldset>
      <label class="inline">
        <input type="checkbox" checked={draft.remote} onChange={(event) => set('remote')(event.currentTarget.checked)} /> {t('listings.remote')}
      </label>
      {draft.kind === 'request' && (
        <TextField {...common} id={`${prefix}-distance`} label={t('listings.distance')} field="maxDistanceKm" value={draft.maxDistanceKm} onInput={set('maxDistanceKm')} inputMode="decimal" hint={t('listings.distanceHint')} />
      )}
      <Availability prefix={prefix} windows={draft.availability} failure={failure} onChange={set('availability')} />
      <TextField {...common} id={`${prefix}-ends`} label={t('listings.ends')} field="expiresAt" type="date" value={draft.endsOn} onInput={set('endsOn')} />
      <FailureMessage failure={failure} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {listing ? t('listings.saveChanges') : draft.kind === 'offer' ? t('listings.postOffer') : t('listings.postRequest')}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            {t('listings.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

/** Weekly windows, in UTC as the API keeps them; none means "any time". */
function Availability({ prefix, windows, failure, onChange }: { prefix: string; windows: AvailabilityWindow[]; failure: unknown; onChange: (windows: AvailabilityWindow[]) => void }) {
  const change = (index: number, field: keyof AvailabilityWindow, value: string) => onChange(windows.map((window, at) => (at === index ? { ...window, [field]: value } : window)));
  return (
    <fieldset>
      <legend>{t('listings.when')}</legend>
      {windows.length === 0 && <p class="hint">{t('listings.anyTime')}</p>}
      {windows.map((window, index) => (
        <div key={index} class="window">
          <div class="row3">
            <div>
              <label for={`${prefix}-day-${index}`}>{t('listings.day')}</label>
              <select id={`${prefix}-day-${index}`} value={window.day} onChange={(event) => change(index, 'day', event.currentTarget.value)}>
                {WEEKDAYS.map(([day, name]) => (
                  <option key={day} value={day}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for={`${prefix}-from-${index}`}>{t('listings.from')}</label>
              <input id={`${prefix}-from-${index}`} type="time" value={window.from} onInput={(event) => change(index, 'from', event.currentTarget.value)} {...fieldAttributes(failure, `availability.${index}.from`)} />
            </div>
            <div>
              <label for={`${prefix}-to-${index}`}>{t('listings.to')}</label>
              <input id={`${prefix}-to-${index}`} type="time" value={window.to} onInput={(event) => change(index, 'to', event.currentTarget.value)} {...fieldAttributes(failure, `availability.${index}.to`)} />
            </div>
          </div>
          <Messages failure={failure} field={`availability.${index}`} />
          <button type="button" class="secondary" onClick={() => onChange(windows.filter((_, at) => at !== index))}>
            {t('listings.removeTime')}
          </button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...windows, { day: 'mon', from: '09:00', to: '12:00' }])}>
        {t('listings.addTime')}
      </button>
      <FieldMessage failure={failure} field="availability" />
    </fieldset>
  );
}

