import type pg from 'pg';

/** A statement as a drizzle logger saw it (`logQuery(sql, params)`): what a test EXPLAINs. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** Records what a drizzle database sends: give `logger` to `drizzle()`, `take()` the statements. */
export class StatementRecorder {
  private statements: Statement[] = [];
  readonly logger = {
    logQuery: (sql: string, params: unknown[]) => {
      this.statements.push({ sql, params });
    },
  };

  /** The statements sent since the last take. */
  take(): Statement[] {
    const taken = this.statements;
    this.statements = [];
    return taken;
  }
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

export interface PlanExpectation {
  /** Index names, or `<node type> on <index>` where the way the index is read matters. */
  uses: string[];
  /** The only table the statements may read (with its indexes), when it stands in for a large one. */
  touchesOnly?: string;
  /**
   * Accept any way of reading the indexes in `uses`: without statistics the planner may read an
   * ordered index as a bitmap and sort the few rows it guesses it will find.
   */
  anyNodeType?: boolean;
  /** A sequential scan of a table holding more rows than this fails; 1,000 unless told. */
  maxRows?: number;
}

/**
 * What is wrong with the plans of `statements`, one line per problem (none when all is well): a
 * sequential scan of a table over `maxRows` rows (a list read that lost its index), an index of
 * `uses` that no plan reads, a table read beside `touchesOnly`.
 */
export async function planProblems(pool: pg.Pool, statements: Statement[], expectation: PlanExpectation): Promise<string[]> {
  const { uses, touchesOnly, anyNodeType = false, maxRows = 1000 } = expectation;
  if (statements.length === 0) return ['no statement was sent'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const statement of statements) {
    const scans = await planScans(pool, statement);
    for (const scan of scans) {
      if (scan.index) seen.add(scan.index).add(`${scan.nodeType} on ${scan.index}`);
      const table = scan.relation ?? scan.index!;
      if (touchesOnly && !table.startsWith(touchesOnly)) problems.push(`${statement.sql}: reads ${table}, not only ${touchesOnly}`);
      if (scan.nodeType !== 'Seq Scan' || !scan.relation) continue;
      const { rows } = await pool.query<{ total: number }>(
        `select count(*)::int as total from "${scan.relation.replaceAll('"', '""')}"`,
      );
      if (rows[0]!.total > maxRows) problems.push(`${statement.sql}: Seq Scan on ${scan.relation} (${rows[0]!.total} rows)`);
    }
  }
  for (const use of uses) {
    const wanted = anyNodeType ? use.replace(/^.* on /, '') : use;
    if (!seen.has(wanted)) problems.push(`${wanted} is not used; the plans read ${[...seen].join(', ') || 'no index'}`);
  }
  return problems;
}

/**
 * The problems of the plans of every statement `read` sends through the drizzle database that
 * `recorder` watches (`planProblems`): what a query-plan test expects to be empty.
 */
export async function planProblemsOfRead(pool: pg.Pool, recorder: StatementRecorder, read: () => Promise<unknown>, expectation: PlanExpectation): Promise<string[]> {
  recorder.take();
  await read();
  return planProblems(pool, recorder.take(), expectation);
}
