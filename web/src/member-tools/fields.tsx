import { FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import { categoryChoices, fieldAttributes, fieldsUnder, type Category, type ListingKind } from './common.js';

/* Form fields the member's tools share, each with the API's message beside it. */

/** The API's messages about a field and the fields inside it (a tag, a window's time). */
export function Messages({ failure, field }: { failure: unknown; field: string }) {
  return (
    <>
      {fieldsUnder(failure, field).map((name) => (
        <FieldMessage key={name} failure={failure} field={name} />
      ))}
    </>
  );
}

type TextFieldProps = {
  id: string;
  label: string;
  /** What the API calls it, for its message. */
  field: string;
  value: string;
  onInput: (value: string) => void;
  failure: unknown;
  hint?: string;
  required?: boolean;
  multiline?: boolean;
  type?: string;
  inputMode?: 'decimal';
};

export function TextField({ id, label, field, value, onInput, failure, hint, required, multiline, type, inputMode }: TextFieldProps) {
  const change = (event: Event) => onInput((event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value);
  return (
    <>
      <label for={id}>{label}</label>
      {multiline ? (
        <textarea id={id} rows={3} maxLength={2000} value={value} onInput={change} {...fieldAttributes(failure, field)} />
      ) : (
        <input id={id} type={type ?? 'text'} inputMode={inputMode} value={value} required={required} onInput={change} {...fieldAttributes(failure, field)} />
      )}
      {hint && <p class="hint">{hint}</p>}
      <Messages failure={failure} field={field} />
    </>
  );
}

type CategoryProps = { id: string; categories: Category[]; value: string; emptyLabel: string; required?: boolean; failure: unknown; onChange: (categoryId: string) => void };

/** The time bank's categories, each child under its parent. */
export function CategorySelect({ id, categories, value, emptyLabel, required, failure, onChange }: CategoryProps) {
  return (
    <>
      <label for={id}>{t('tools.category')}</label>
      <select id={id} required={required} value={value} onChange={(event) => onChange(event.currentTarget.value)} {...fieldAttributes(failure, 'categoryId')}>
        <option value="">{emptyLabel}</option>
        {categoryChoices(categories).map((choice) => (
          <option key={choice.id} value={choice.id}>
            {choice.label}
          </option>
        ))}
      </select>
      <FieldMessage failure={failure} field="categoryId" />
    </>
  );
}

type KindProps = { name: string; legend: string; kind: ListingKind; labels: Record<ListingKind, string>; onChange: (kind: ListingKind) => void };

export function KindChoice({ name, legend, kind, labels, onChange }: KindProps) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {(['offer', 'request'] as const).map((each) => (
        <label key={each} class="inline">
          <input type="radio" name={name} checked={kind === each} onChange={() => onChange(each)} /> {labels[each]}
        </label>
      ))}
    </fieldset>
  );
}
