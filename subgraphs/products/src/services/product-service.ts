import { and, count, desc, eq, isNull, sql, type Param, type Placeholder, type SQL } from 'drizzle-orm';
import {
  badUserInput,
  type Cursor,
  type Db,
  conflict,
  isUniqueViolation,
  moneyInputSchema,
  notFound,
  parseId,
  parseInput,
  parsePageArgs,
  prepared,
  requireAdmin,
  toConnection,
} from '@shopgraph/common';
import { z } from 'zod';
import type { Context } from '../context.js';
import { productColumns, type Product } from '../db/columns.js';
import { LIVE_PRODUCTS, products, rowCounts } from '../db/schema.js';

const MAX_UNITS = 1_000_000_000;

const skuSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, dashes or underscores');
const nameSchema = z.string().trim().min(1, 'must not be empty').max(200);
const descriptionSchema = z.string().trim().max(5000).nullish();

const createProductSchema = z.object({
  sku: skuSchema,
  name: nameSchema,
  description: descriptionSchema,
  price: moneyInputSchema,
  stock: z.number().int().min(0).max(MAX_UNITS),
});

const updateProductSchema = z
  .object({ name: nameSchema.nullish(), description: descriptionSchema, price: moneyInputSchema.nullish() })
  .refine((input) => input.name != null || input.description !== undefined || input.price != null, {
    message: 'give at least one of name, description, price',
  });

const searchSchema = z.string().trim().max(200).nullish();

/** Only live products belong to the catalog. */
const live = isNull(products.deletedAt);

function searchFilter(search: string | null | undefined): SQL | undefined {
  if (!search) return undefined;
  // English stemming for words, the simple config for skus and codes.
  return sql`${products.searchVector} @@ (websearch_to_tsquery('english', ${search}) || websearch_to_tsquery('simple', ${search}))`;
}

/**
 * How many live products match `search` (all of them without one), exactly and without scanning the
 * catalog: the whole catalog's count is kept by triggers (drizzle/0003_live_product_count.sql); a
 * search counts its matches through the full-text index.
 */
async function countProducts(ctx: Context, search: string | null | undefined): Promise<number> {
  if (!search) {
    const catalogCount = prepared(ctx.db, 'products_catalog_count', (db) =>
      db
        .select({ total: sql<number>`coalesce(sum(${rowCounts.count}), 0)::int` })
        .from(rowCounts)
        .where(eq(rowCounts.name, LIVE_PRODUCTS)),
    );
    const [kept] = await catalogCount.execute();
    return kept?.total ?? 0;
  }
  const [counted] = await ctx.db.select({ total: count() }).from(products).where(and(live, searchFilter(search)));
  return counted?.total ?? 0;
}

// A row comparison means `created_at < c or (created_at = c and id < i)` (both NOT NULL), and
// lets the planner seek products_catalog_order_idx to the cursor instead of filtering up to it.
const beforeCursor = (createdAt: Param | Placeholder, id: Param | Placeholder) => sql`(${products.createdAt}, ${products.id}) < (${createdAt}, ${id})`;

/** A page of the whole catalog: what every storefront visit reads, so a prepared statement per page size and cursor or none. */
function catalogPage(db: Db, first: number, after: Cursor | null): Promise<Product[]> {
  const name = `products_catalog_page_${first + 1}${after ? '_after' : ''}`;
  const page = prepared(db, name, (db) =>
    db
      .select(productColumns)
      .from(products)
      .where(and(live, after ? beforeCursor(sql.placeholder('createdAt'), sql.placeholder('id')) : undefined))
      .orderBy(desc(products.createdAt), desc(products.id))
      .limit(first + 1),
  );
  return page.execute(after ? { createdAt: after.createdAt.toISOString(), id: after.id } : {});
}

/** A page of a search's matches, through the full-text index. */
function searchPage(ctx: Context, search: string, first: number, after: Cursor | null): Promise<Product[]> {
  const position = after ? beforeCursor(sql.param(after.createdAt, products.createdAt), sql.param(after.id, products.id)) : undefined;
  return ctx.db
    .select(productColumns)
    .from(products)
    .where(and(live, searchFilter(search), position))
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(first + 1);
}

/** The catalog, newest first, keyset-paginated; totalCount is counted only if asked for. */
export async function listProducts(
  ctx: Context,
  args: { first?: number | null; after?: string | null; search?: string | null },
) {
  const { first, after } = parsePageArgs(args);
  const search = parseInput(searchSchema, args.search, 'search');
  const rows = search ? await searchPage(ctx, search, first, after) : await catalogPage(ctx.db, first, after);
  for (const row of rows) ctx.loaders.productById.prime(row.id, row);
  return {
    ...toConnection(rows, first),
    totalCount: () => countProducts(ctx, search),
  };
}

/** A live product, or NOT_FOUND. */
export async function getProduct(ctx: Context, id: string): Promise<Product> {
  const product = await ctx.loaders.productById.load(parseId(id));
  if (!product || product.deletedAt) throw notFound('Product', id);
  return product;
}

export async function createProduct(ctx: Context, rawInput: unknown): Promise<Product> {
  requireAdmin(ctx.viewer);
  const input = parseInput(createProductSchema, rawInput, 'input');
  try {
    const [created] = await ctx.db
      .insert(products)
      .values({
        sku: input.sku,
        name: input.name,
        description: input.description ?? null,
        priceAmount: input.price.amount,
        priceCurrency: input.price.currency,
        onHand: input.stock,
      })
      .returning(productColumns);
    return created!;
  } catch (error) {
    if (isUniqueViolation(error, 'products_sku_live_key')) {
      throw conflict(`A product with sku ${input.sku} already exists.`, { field: 'sku' });
    }
    throw error;
  }
}

export async function updateProduct(ctx: Context, id: string, rawInput: unknown): Promise<Product> {
  requireAdmin(ctx.viewer);
  const productId = parseId(id);
  const input = parseInput(updateProductSchema, rawInput, 'input');
  const [updated] = await ctx.db
    .update(products)
    .set({
      ...(input.name != null ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.price != null ? { priceAmount: input.price.amount, priceCurrency: input.price.currency } : {}),
      updatedAt: sql`now()`,
    })
    .where(and(eq(products.id, productId), live))
    .returning(productColumns);
  if (!updated) throw notFound('Product', id);
  return updated;
}

export async function deleteProduct(ctx: Context, id: string): Promise<boolean> {
  requireAdmin(ctx.viewer);
  const productId = parseId(id);
  const [deleted] = await ctx.db
    .update(products)
    .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(products.id, productId), live))
    .returning({ id: products.id });
  if (!deleted) throw notFound('Product', id);
  return true;
}

export async function restockProduct(ctx: Context, id: string, quantity: number): Promise<Product> {
  requireAdmin(ctx.viewer);
  const productId = parseId(id);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_UNITS) {
    throw badUserInput(`quantity must be a whole number from 1 to ${MAX_UNITS}.`, { field: 'quantity' });
  }
  // One atomic increment: concurrent restocks and reservations never lose an update.
  const [restocked] = await ctx.db
    .update(products)
    .set({ onHand: sql`${products.onHand} + ${quantity}`, updatedAt: sql`now()` })
    .where(and(eq(products.id, productId), live, sql`${products.onHand} + ${quantity} <= ${MAX_UNITS}`))
    .returning(productColumns);
  if (!restocked) {
    await getProduct(ctx, id);
    throw conflict(`Restocking would exceed ${MAX_UNITS} units on hand.`, { field: 'quantity' });
  }
  return restocked;
}
