import type { Migration } from '../migrations.ts';

export const auditAnchoring: Migration = {
  version: 8,
  name: 'audit anchoring',
  up() {},
};
