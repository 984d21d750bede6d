/**
 * A department's front database (前置库) for sql adapter tests: a real PostgreSQL database
 * `huren_dept_<random>` on the DATABASE_URL server (or the local test server), with the
 * department's records table, the view it exposes to Huren, and a login role that may read only
 * that view. Dropped (database and role) by `drop()`.
 */
import postgres from "postgres";

export const PG_SERVER_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface FrontDb {
  name: string;
  /** Superuser connection string to the department's database (for tests that need write rights). */
  ownerUrl: string;
  /** The restricted role's connection string: what a department registers. */
  readerUrl: string;
  /** Superuser client on the department's database, to change records during a test. */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

export interface DibaoRow {
  idNo: string;
  name: string;
  status: string;
  certNo: string;
  validUntil: string | null;
  householdSize: number;
  monthlyAmount: string;
  category: string;
}

const rand = () => Math.random().toString(36).slice(2, 10);

/**
 * @example
 * const front = await createFrontDb([{ idNo, name: "张三", status: "1", … }]);
 * // register an sql adapter with front.readerUrl; afterAll(() => front.drop())
 */
export async function createFrontDb(rows: DibaoRow[]): Promise<FrontDb> {
  const name = `huren_dept_${Date.now().toString(36)}_${rand()}`;
  const role = `huren_reader_${rand()}`;
  const password = `pw-${rand()}`;
  const admin = postgres(PG_SERVER_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.unsafe(`create role "${role}" login password '${password}'`);
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();
  const sql = postgres(ownerUrl, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    create table dibao_records (
      id_no text primary key, holder_name text not null, status_code text not null, cert_no text not null,
      valid_until date, household_size integer, monthly_amount numeric(10,2), category text, region text default '220102'
    );
    -- The department's own bookkeeping, which Huren must never be able to write to.
    create table loot (v text);
    create sequence audit_seq;
    create function steal(v text) returns integer language sql volatile as $$ insert into loot values (v) returning 1 $$;
    create view dibao_view as
      select id_no, holder_name, status_code, cert_no, valid_until, household_size, monthly_amount, category, region from dibao_records;
    grant usage on schema public to "${role}";
    grant select on dibao_view to "${role}";
  `);
  for (const r of rows) await insertDibao(sql, r);
  const reader = new URL(ownerUrl);
  reader.username = role;
  reader.password = password;
  return {
    name,
    ownerUrl,
    readerUrl: reader.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.unsafe(`drop role if exists "${role}"`);
      await admin.end({ timeout: 1 });
    },
  };
}

export async function insertDibao(sql: postgres.Sql, r: DibaoRow): Promise<void> {
  await sql`insert into dibao_records (id_no, holder_name, status_code, cert_no, valid_until, household_size, monthly_amount, category)
            values (${r.idNo}, ${r.name}, ${r.status}, ${r.certNo}, ${r.validUntil}, ${r.householdSize}, ${r.monthlyAmount}, ${r.category})`;
}

/** The view's query and mapping as a department would register it. */
export const DIBAO_CONFIG = {
  query: "select status_code, cert_no, valid_until, household_size, monthly_amount, category, region, holder_name from dibao_view where id_no = $1",
  params: ["subject.id"],
  columns: { status: "status_code", certificateId: "cert_no", validUntil: "valid_until", name: "holder_name" },
  statusValues: { "1": "valid", "2": "suspended", "9": "revoked" },
  claims: { certificateNo: "cert_no", householdSize: "household_size", monthlyAmount: "monthly_amount", category: "category", region: "region", validUntil: "valid_until" },
} as const;
