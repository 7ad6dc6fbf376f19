import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { checkTerminalConfig, ConfigError, type TerminalConfig } from './terminal-config.ts';

/**
 * Where the terminal configuration lives. The Electron shell keeps it through
 * electron-store (main/shell/electron-config-store.ts); everything else, the browser
 * shell and tests included, through the JSON file below. Both read and write the same
 * file format, and both validate through `checkTerminalConfig`, so a file written by
 * one shell is read by the other.
 */
export interface ConfigStore {
  readonly location: string;
  /** The saved configuration, migrated and validated; throws ConfigError if unusable. */
  load(): TerminalConfig;
  /** Replace the saved configuration (already validated by the caller), durably. */
  save(config: TerminalConfig): void;
}

/** Parse and validate text read from a store; one place for the error wording. */
export function parseStoredConfig(text: string, where: string): TerminalConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(where, error instanceof Error ? error.message : String(error));
  }
  const checked = checkTerminalConfig(raw);
  if (!checked.ok) throw new ConfigError(where, checked.problems.join('; '));
  return checked.config;
}

export class JsonFileConfigStore implements ConfigStore {
  /**
   * @param location the file to read and write
   * @param initialFrom read instead while `location` does not exist yet (the shipped default)
   */
  constructor(
    readonly location: string,
    private readonly initialFrom?: string,
  ) {}

  load(): TerminalConfig {
    const from = existsSync(this.location) || !this.initialFrom ? this.location : this.initialFrom;
    let text: string;
    try {
      text = readFileSync(from, 'utf8');
    } catch (error) {
      throw new ConfigError(from, error instanceof Error ? error.message : String(error));
    }
    return parseStoredConfig(text, from);
  }

  /** Write to a temporary file, fsync, then rename: a power cut leaves the old or the new file, never half. */
  save(config: TerminalConfig): void {
    const temporary = `${this.location}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(config, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.location);
  }
}
