/**
 * What the estate's administrator does over their own connection: sites, and terminals each
 * with a login role and password of their own (PostgreSQL stores only its SCRAM verifier).
 */
import { randomBytes } from 'node:crypto';
import type { ClientBase } from 'pg';

const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

function checkId(what: string, id: string): void {
  if (!ID.test(id)) throw new Error(`${what} "${id}" is not a valid id: lower-case letters, digits and hyphens, up to 40, starting with a letter or digit`);
}

/**
 * A site of the estate. `referenceSiteId` is its row in the reference data's `sites` table, the
 * one officers' home site (officers.site_id) names: how the mobilisation counts an officer who
 * is qualified and available at this site. Without it, such officers count under no site.
 */
export async function addSite(client: ClientBase, id: string, name: string, referenceSiteId: number | null = null): Promise<void> {
  checkId('site', id);
  if (referenceSiteId !== null && (!Number.isSafeInteger(referenceSiteId) || referenceSiteId < 1)) throw new Error(`reference site "${referenceSiteId}" must be a whole number from 1: the id of a row of the reference data's sites`);
  await client.query('INSERT INTO estate.sites (id, name, reference_site_id) VALUES ($1, $2, $3)', [id, name, referenceSiteId]);
}

export interface TerminalCredentials {
  terminalId: string;
  roleName: string;
  /** Shown once, for the terminal's configuration; the estate keeps only its verifier. */
  password: string;
}

/** The login role a terminal connects as. */
export function terminalRole(terminalId: string): string {
  return `terminal_${terminalId.replaceAll('-', '_')}`;
}

export async function addTerminal(client: ClientBase, terminalId: string, siteId: string): Promise<TerminalCredentials> {
  checkId('terminal', terminalId);
  const roleName = terminalRole(terminalId);
  const password = randomBytes(24).toString('base64url');
  await client.query('BEGIN');
  try {
    // Identifiers and the password quoted by PostgreSQL itself (format's %I and %L), never pasted.
    const create = await client.query<{ sql: string }>("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE estate_terminal', $1::text, $2::text) AS sql", [roleName, password]);
    const sql = create.rows[0]?.sql;
    if (sql === undefined) throw new Error('PostgreSQL returned no CREATE ROLE statement');
    await client.query(sql);
    await client.query('INSERT INTO estate.terminals (id, site_id, role_name) VALUES ($1, $2, $3)', [terminalId, siteId, roleName]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return { terminalId, roleName, password };
}
