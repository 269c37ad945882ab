// `prisma generate` only parses the schema, yet the CLI insists on locating a schema engine binary
// first and tries to download one when none is configured. Any existing file satisfies the check,
// so builds work offline; where a real engine is installed, its path wins.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('prisma', ['generate'], { stdio: 'inherit', env, shell: false });
process.exit(result.status ?? 1);
