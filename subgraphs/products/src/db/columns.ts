import { getTableColumns } from 'drizzle-orm';
import { products } from './schema.js';

// Everything but the search vector, which only the database needs.
const { searchVector: _searchVector, ...productColumns } = getTableColumns(products);
export { productColumns };

/** A product as the service layer sees it. */
export type Product = Omit<typeof products.$inferSelect, 'searchVector'>;
