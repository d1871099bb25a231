/**
 * Realistic-looking catalogue rows from a seeded PRNG, so a run can be repeated exactly (`--seed`).
 * Pure: no I/O.
 */

/** The shop's categories. `Electronics` is the default discount category of the consumer's transform. */
export const CATEGORIES = ['Electronics', 'Home', 'Garden', 'Toys', 'Books', 'Sports', 'Kitchen'] as const;

const ADJECTIVES = ['Compact', 'Deluxe', 'Eco', 'Ergonomic', 'Classic', 'Smart', 'Rustic', 'Portable', 'Premium',
  'Vintage', 'Wireless', 'Foldable', 'Heavy-Duty', 'Mini', 'Handmade'];
const MATERIALS = ['Bamboo', 'Steel', 'Oak', 'Cotton', 'Ceramic', 'Carbon', 'Glass', 'Leather', 'Wool', 'Copper'];
const NOUNS: Record<(typeof CATEGORIES)[number], string[]> = {
  Electronics: ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Monitor', 'Lamp 💡', 'Camera', 'Router'],
  Home: ['Blanket', 'Cushion', 'Vase', 'Mirror', 'Curtain', 'Rug', 'Shelf', 'Clock'],
  Garden: ['Hose', 'Planter', 'Shovel', 'Sprinkler', 'Bench', 'Trowel', 'Lantern', 'Birdhouse'],
  Toys: ['Puzzle', 'Robot', 'Kite', 'Train Set', 'Yo-yo', 'Teddy Bear', 'Blocks', 'Drone'],
  Books: ['Cookbook', 'Atlas', 'Novel', 'Notebook', 'Journal', 'Sketchbook', 'Planner', 'Dictionary'],
  Sports: ['Yoga Mat', 'Dumbbell', 'Racket', 'Helmet', 'Water Bottle', 'Jump Rope', 'Ball', 'Gloves'],
  Kitchen: ['Kettle', 'Knife Set', 'Skillet', 'Grinder', 'Teapot', 'Cutting Board', 'Whisk', 'Mug ☕'],
};

/** Mulberry32: tiny, fast and good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ProductRow {
  id: number;
  name: string;
  category: string;
  price: number;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** A price with cents, 0.99 to 999.99, skewed towards cheap items as real catalogues are. */
export function randomPrice(rand: () => number): number {
  return Math.round((0.99 + 999 * rand() ** 3) * 100) / 100;
}

export function randomProduct(rand: () => number, id: number): ProductRow {
  const category = pick(rand, CATEGORIES);
  const name = `${pick(rand, ADJECTIVES)} ${pick(rand, MATERIALS)} ${pick(rand, NOUNS[category])}`;
  return { id, name, category, price: randomPrice(rand) };
}

export type ProductEdit = Pick<ProductRow, 'id' | 'price'> & Partial<Pick<ProductRow, 'name' | 'category'>>;

/** A plausible edit of an existing product: a price change mostly, sometimes a rename or re-categorisation. */
export function randomEdit(rand: () => number, id: number): ProductEdit {
  const roll = rand();
  const fresh = randomProduct(rand, id);
  if (roll < 0.7) return { id, price: fresh.price };
  if (roll < 0.9) return { id, price: fresh.price, name: fresh.name };
  return { id, price: fresh.price, name: fresh.name, category: fresh.category };
}
