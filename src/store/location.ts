/** What a store location names: a Postgres server (`postgres://...`) or a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
