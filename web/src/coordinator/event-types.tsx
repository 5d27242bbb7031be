import { FieldMessage } from '../forms.js';
import { t } from '../i18n.js';

/** The event types an endpoint may subscribe to (docs/events.md). */
export const EVENT_TYPES = [
  'transfer.created',
  'transfer.posted',
  'transfer.rejected',
  'transfer.expired',
  'transfer.reversed',
  'transfer.confirmation_due',
  'account.near_floor',
  'member.created',
  'member.updated',
  'member.dormant',
  'listing.created',
  'listing.updated',
  'listing.expiring',
  'webhook.disabled',
];

/** Checkboxes for the event types, with the API's message about them. */
export function EventTypeChoice({ id, chosen, onChange, failure }: { id: string; chosen: string[]; onChange: (types: string[]) => void; failure: unknown }) {
  return (
    <fieldset>
      <legend>{t('partners.webhook.events')}</legend>
      {EVENT_TYPES.map((type) => (
        <label key={type} class="inline">
          <input
            type="checkbox"
            name={`${id}-types`}
            checked={chosen.includes(type)}
            onChange={(event) => onChange(event.currentTarget.checked ? [...chosen, type] : chosen.filter((each) => each !== type))}
          />{' '}
          {type}
        </label>
      ))}
      <FieldMessage failure={failure} field="eventTypes" />
    </fieldset>
  );
}
