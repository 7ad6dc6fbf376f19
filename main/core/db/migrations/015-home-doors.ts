import type { Migration } from '../migrations.ts';

/**
 * Weapons keep their own doors. A firearm or Taser's home door is the first door it is put in
 * (registered, imported or seeded there: a trigger sets it, whichever code placed it), and it
 * goes back only there; other kit goes back to any free door that fits (door-fit.ts).
 */
export const homeDoors: Migration = {
  version: 15,
  name: 'home doors',
  up(db) {
    db.exec(`
      ALTER TABLE assets ADD COLUMN home_door_id INTEGER REFERENCES doors(id);
      UPDATE assets SET home_door_id = door_id
       WHERE door_id IS NOT NULL AND asset_type_id IN (SELECT id FROM asset_types WHERE category IN ('firearm', 'taser'));
      CREATE TRIGGER assets_weapon_home_on_insert AFTER INSERT ON assets
        WHEN NEW.door_id IS NOT NULL AND NEW.home_door_id IS NULL
         AND (SELECT category FROM asset_types WHERE id = NEW.asset_type_id) IN ('firearm', 'taser')
        BEGIN UPDATE assets SET home_door_id = NEW.door_id WHERE id = NEW.id; END;
      CREATE TRIGGER assets_weapon_home_on_place AFTER UPDATE OF door_id ON assets
        WHEN NEW.door_id IS NOT NULL AND NEW.home_door_id IS NULL
         AND (SELECT category FROM asset_types WHERE id = NEW.asset_type_id) IN ('firearm', 'taser')
        BEGIN UPDATE assets SET home_door_id = NEW.door_id WHERE id = NEW.id; END;
    `);
  },
};
