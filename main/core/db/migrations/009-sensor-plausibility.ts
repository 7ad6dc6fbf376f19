import type { Migration } from '../migrations.ts';

export const sensorPlausibility: Migration = {
  version: 9,
  name: 'sensor plausibility',
  up() {},
};
