import type { Migration } from '../migrations.ts';

export const commissioning: Migration = {
  version: 10,
  name: 'commissioning',
  up() {},
};
