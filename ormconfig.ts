import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './src/database/data-source-options';

/**
 * The data source the TypeORM CLI uses (`npm run typeorm -- migration:generate src/database/migrations/Name`).
 * It needs DATABASE_URL; the app itself also runs the migrations at start.
 */
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error(
    'DATABASE_URL must be set for the TypeORM CLI (e.g. postgresql://user:pass@127.0.0.1:5432/regshield)',
  );
}

export default new DataSource(buildDataSourceOptions(url));
