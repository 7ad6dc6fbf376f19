import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type Db = Database.Database;

/**
 * Open (creating if needed) the terminal's database with the durability settings every
 * caller relies on, and bring its schema up to date. WAL with synchronous=FULL means a
 * transaction that has returned is on disk: that is the promise the door ordering needs.
 */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
