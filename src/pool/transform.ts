/**
 * Decoded change → output line. Pure: the same record and rule always give the same line.
 * category is upper-cased; a product of the discount category gets DISCOUNT_PERCENT off, rounded to cents;
 * prices print as the stored float32's shortest decimal.
 */
import { roundCents, shortestFloat32 } from '../codec/float32.js';

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

/**
 * `record` is the decoded Avro record: a column named in its `null_fields` is SQL NULL (the record holds the
 * type's zero value there). A field that is itself null or missing is NULL too.
 */
export function transform(record: Record<string, unknown>, rule: DiscountRule, meta: Meta): OutputLine {
  const nulls = record.null_fields as string[] | undefined;
  const has = (name: string) => nulls === undefined || nulls.length === 0 || !nulls.includes(name);
  const category = typeof record.category === 'string' && has('category') ? record.category.toUpperCase() : null;
  const listPrice = typeof record.price === 'number' && has('price') ? shortestFloat32(record.price) : null;
  const discounted = category !== null && category === rule.category.toUpperCase() && rule.percent > 0;
  const price = listPrice === null ? null : discounted ? roundCents((listPrice * (100 - rule.percent)) / 100) : listPrice;
  return {
    id: Number(record.id),
    name: typeof record.name === 'string' && has('name') ? record.name : null,
    category,
    price,
    list_price: listPrice,
    discount_percent: discounted ? rule.percent : 0,
    last_updated: typeof record.last_updated === 'string' && has('last_updated') ? record.last_updated : null,
    op: String(record.op),
    _meta: meta,
  };
}

/**
 * The line as JSON.stringify would write it (the same keys in the same order), without its generic walk.
 * `extra`: the columns the table has beyond the seed's, already written as `,"name":value…`, placed after
 * last_updated and before op.
 */
export function toJsonLine(line: OutputLine, extra = ''): string {
  const m = line._meta;
  return `{"id":${num(line.id)},"name":${str(line.name)},"category":${str(line.category)},"price":${num(line.price)},` +
    `"list_price":${num(line.list_price)},"discount_percent":${num(line.discount_percent)},"last_updated":${str(line.last_updated)}${extra},` +
    `"op":${str(line.op)},"_meta":{"topic":${str(m.topic)},"partition":${num(m.partition)},"offset":${num(m.offset)}}}\n`;
}

const str = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));
// JSON has no NaN or Infinity: JSON.stringify writes null for them, and so does this.
const num = (n: number | null): string => (n === null || !Number.isFinite(n) ? 'null' : String(n));
