/**
 * Decoded change → output line. Pure: the same record and rule always give the same line.
 * category is upper-cased; a product of the discount category gets DISCOUNT_PERCENT off, rounded to cents;
 * prices print as the stored float32's shortest decimal.
 */
import { roundCents, shortestFloat32 } from './float32.js';

export interface DiscountRule {
  /** Compared after upper-casing both sides. */
  category: string;
  percent: number;
}

export interface Meta {
  topic: string;
  partition: number;
  offset: number;
}

export interface OutputLine {
  id: number;
  name: string | null;
  category: string | null;
  /** What the product costs after the discount rule. */
  price: number | null;
  /** The stored price, before any discount. */
  list_price: number | null;
  discount_percent: number;
  last_updated: string | null;
  op: string;
  _meta: Meta;
}

export function transform(record: Record<string, unknown>, rule: DiscountRule, meta: Meta): OutputLine {
  const category = typeof record.category === 'string' ? record.category.toUpperCase() : null;
  const listPrice = typeof record.price === 'number' ? shortestFloat32(record.price) : null;
  const discounted = category !== null && category === rule.category.toUpperCase() && rule.percent > 0;
  const price = listPrice === null ? null : discounted ? roundCents((listPrice * (100 - rule.percent)) / 100) : listPrice;
  return {
    id: Number(record.id),
    name: typeof record.name === 'string' ? record.name : null,
    category,
    price,
    list_price: listPrice,
    discount_percent: discounted ? rule.percent : 0,
    last_updated: typeof record.last_updated === 'string' ? record.last_updated : null,
    op: String(record.op),
    _meta: meta,
  };
}

export function toJsonLine(line: OutputLine): string {
  return `${JSON.stringify(line)}\n`;
}
