import { useState, type FormEvent, type ReactNode } from 'react';
import type { ProductInput } from '../graph';
import { parseMoneyInput } from '../money';
import { ErrorNotice, Notice } from './feedback';

/** What an admin types for a product, as text; a new product's SKU and initial stock too. */
export interface ProductFields {
  name: string;
  description: string;
  price: string;
  currency: string;
  sku: string;
  stock: string;
}

/** What a new product has beyond a product's input. */
export interface NewProductExtras {
  sku: string;
  stock: number;
}

/** The product input from the form's text, or a sentence saying what is wrong. */
function toProductInput(fields: ProductFields): ProductInput | string {
  const currency = fields.currency.trim().toUpperCase();
  let amount: number | null;
  try {
    amount = parseMoneyInput(fields.price, currency);
  } catch {
    return `“${fields.currency}” is not a currency code (try EUR or USD).`;
  }
  if (amount === null) return `“${fields.price}” is not a price: use digits, like 14.90.`;
  return { name: fields.name.trim(), description: fields.description.trim() || null, price: { amount, currency } };
}

interface ProductFormProps {
  /** The form's accessible name. */
  label: string;
  /** A heading inside the form, if it stands alone on the page. */
  title?: string;
  className: string;
  initial: ProductFields;
  /** A new product: the form asks for its SKU and initial stock as well. */
  isNew?: boolean;
  /** The submit button's text, and its text while the mutation runs. */
  submitLabel: [idle: string, busy: string];
  loading: boolean;
  /** The mutation's error, shown under the fields. */
  error?: unknown;
  /** Sends the input; resolves true once saved, and the form starts again from `initial`. */
  save: (input: ProductInput, extras: NewProductExtras) => Promise<boolean>;
  /** Shown under the fields, e.g. what was created. */
  status?: ReactNode;
  /** Buttons beside the submit button. */
  actions?: ReactNode;
}

/** The admin's product form, for a new product and for editing one: the same fields, checked the same way. */
export function ProductForm({ label, title, className, initial, isNew = false, submitLabel, loading, error, save, status, actions }: ProductFormProps) {
  const [fields, setFields] = useState(initial);
  const [problem, setProblem] = useState<string>();
  const set = (name: keyof ProductFields) => (event: { target: { value: string } }) =>
    setFields((current) => ({ ...current, [name]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = toProductInput(fields);
    setProblem(typeof input === 'string' ? input : undefined);
    if (typeof input === 'string') return;
    if (await save(input, { sku: fields.sku.trim(), stock: Number(fields.stock) })) setFields(initial);
  };

  return (
    <form className={className} aria-label={label} onSubmit={(event) => void submit(event)}>
      {title && <h2>{title}</h2>}
      {isNew && (
        <label className="field">
          SKU
          <input required value={fields.sku} onChange={set('sku')} maxLength={64} />
        </label>
      )}
      <label className="field">
        Name
        <input required value={fields.name} onChange={set('name')} maxLength={200} />
      </label>
      <label className="field field-wide">
        Description
        <textarea value={fields.description} onChange={set('description')} maxLength={5000} rows={2} />
      </label>
      <div className="field-row">
        <label className="field">
          Price
          <input required inputMode="decimal" placeholder="14.90" value={fields.price} onChange={set('price')} />
        </label>
        <label className="field">
          Currency
          <input required value={fields.currency} onChange={set('currency')} maxLength={3} />
        </label>
      </div>
      {isNew && (
        <label className="field">
          Initial stock
          <input required type="number" min={0} value={fields.stock} onChange={set('stock')} />
        </label>
      )}
      <div className="field-wide">
        {problem && <Notice kind="error">{problem}</Notice>}
        {error !== undefined && <ErrorNotice error={error} />}
        {status}
        <div className="actions">
          <button type="submit" className="button" disabled={loading}>
            {loading ? submitLabel[1] : submitLabel[0]}
          </button>
          {actions}
        </div>
      </div>
    </form>
  );
}
