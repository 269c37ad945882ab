// One-shot: applies prisma/migrations to DATABASE_URL and exits (0 applied or up to date, 1 failed).
// The Helm chart's pre-install/pre-upgrade hook Job runs it; the API also migrates at start. The
// migrator holds Prisma's advisory lock for the whole run, so concurrent runs wait for each other.
import { loadConfig } from '../../dist/src/config/config.js';
import { migrate } from '../../dist/src/db/migrator.js';

const config = loadConfig();
if (config.database.url === undefined) {
  console.error('DATABASE_URL is required to run migrations');
  process.exit(2);
}
try {
  const { applied } = await migrate(config.database.url, { log: (message) => console.log(message) });
  console.log(
    applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'schema up to date',
  );
  process.exit(0);
} catch (error) {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
