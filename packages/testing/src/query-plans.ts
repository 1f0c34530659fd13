import type pg from 'pg';

/** A statement as a drizzle logger saw it (`logQuery(sql, params)`): what a test EXPLAINs. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** A node of a plan that reads a table or an index. */
export interface PlanScan {
  /** `Seq Scan`, `Index Scan`, `Index Only Scan`, `Bitmap Index Scan`, `Bitmap Heap Scan` … */
  nodeType: string;
  relation?: string;
  index?: string;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * Every scan of the plan Postgres chooses for `statement` with its parameters (EXPLAIN, not run),
 * sub-plans included: the unnamed statement is planned for these values, as the application's is.
 */
export async function planScans(pool: pg.Pool, statement: Statement): Promise<PlanScan[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
    `explain (format json) ${statement.sql}`,
    statement.params,
  );
  const scans: PlanScan[] = [];
  const walk = (node: PlanNode) => {
    if (node['Relation Name'] || node['Index Name']) {
      scans.push({ nodeType: node['Node Type'], relation: node['Relation Name'], index: node['Index Name'] });
    }
    node.Plans?.forEach(walk);
  };
  walk(rows[0]!['QUERY PLAN'][0]!.Plan);
  return scans;
}

/**
 * The tables `scans` read sequentially that hold more than `maxRows` rows, counted now: a list
 * query that scans one has lost (or never had) the index it needs.
 */
export async function largeSequentialScans(pool: pg.Pool, scans: PlanScan[], maxRows = 1000): Promise<string[]> {
  const large: string[] = [];
  for (const scan of scans) {
    if (scan.nodeType !== 'Seq Scan' || !scan.relation) continue;
    const { rows } = await pool.query<{ total: number }>(
      `select count(*)::int as total from "${scan.relation.replaceAll('"', '""')}"`,
    );
    if (rows[0]!.total > maxRows) large.push(`${scan.relation} (${rows[0]!.total} rows)`);
  }
  return large;
}
