import { readFileSync } from 'node:fs';
import Store from 'electron-store';
import { parseStoredConfig, type ConfigStore } from '../config/config-store.ts';
import type { TerminalConfig } from '../config/terminal-config.ts';

/**
 * The Electron shell keeps the terminal configuration through electron-store (atomic
 * writes, one JSON file in the data directory: the same file and format the browser
 * shell's JsonFileConfigStore uses). Validation and version migration are shared with
 * every other store through `parseStoredConfig`, so both shells accept exactly the same files.
 */
export class ElectronConfigStore implements ConfigStore {
  private readonly store: Store<Record<string, unknown>>;

  constructor(
    dataDir: string,
    private readonly defaultsPath: string,
  ) {
    this.store = new Store<Record<string, unknown>>({ name: 'terminal-config', cwd: dataDir, clearInvalidConfig: false });
  }

  get location(): string {
    return this.store.path;
  }

  load(): TerminalConfig {
    if (this.store.size === 0) return parseStoredConfig(readFileSync(this.defaultsPath, 'utf8'), this.defaultsPath);
    return parseStoredConfig(JSON.stringify(this.store.store), this.location);
  }

  save(config: TerminalConfig): void {
    this.store.store = { ...config };
  }
}
