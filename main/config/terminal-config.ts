import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The terminal's hardware and policy settings: what this room has and how it behaves.
 * Transactional data (officers, assets, loans) never lives here; that is the database.
 */
const link = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('simulator') }).strict(),
  z.object({ kind: z.literal('serial'), path: z.string().min(1), baudRate: z.number().int().positive().default(19200) }).strict(),
]);

export const terminalConfigSchema = z
  .object({
    terminalName: z.string().min(1).max(80),
    policy: z
      .object({
        idleTimeoutSeconds: z.number().int().min(5).max(3600).default(60),
        idleWarningSeconds: z.number().int().min(1).max(600).default(15),
        expiryWarningDays: z.number().int().min(0).max(365).default(30),
        lockoutFailures: z.number().int().min(1).max(20).default(5),
        lockoutMinutes: z.number().int().min(1).max(1440).default(15),
        doorOpenConfirmMs: z.number().int().min(200).max(10_000).default(1500),
      })
      .strict()
      .refine((p) => p.idleWarningSeconds < p.idleTimeoutSeconds, 'idleWarningSeconds must be shorter than idleTimeoutSeconds'),
    lockerBank: z
      .object({
        name: z.string().min(1),
        protocol: z.literal('kerong'),
        link,
        pollIntervalMs: z.number().int().min(50).max(5000).default(250),
        boards: z
          .array(
            z
              .object({
                address: z.number().int().min(0).max(15),
                // Sources disagree on the bit polarity of KR-CU status replies, so it is per board.
                lockOpenWhenBitSet: z.boolean().default(true),
                itemPresentWhenBitSet: z.boolean().default(true),
              })
              .strict(),
          )
          .min(1),
        doors: z
          .array(z.object({ number: z.number().int().min(1), board: z.number().int().min(0).max(15), lock: z.number().int().min(1).max(16) }).strict())
          .min(1),
      })
      .strict()
      .superRefine((bank, ctx) => {
        const boards = new Set(bank.boards.map((b) => b.address));
        const numbers = new Set<number>();
        const locks = new Set<string>();
        for (const door of bank.doors) {
          if (!boards.has(door.board)) ctx.addIssue({ code: 'custom', message: `door ${door.number} is on board ${door.board}, which is not configured` });
          if (numbers.has(door.number)) ctx.addIssue({ code: 'custom', message: `door ${door.number} appears twice` });
          if (locks.has(`${door.board}/${door.lock}`)) ctx.addIssue({ code: 'custom', message: `board ${door.board} lock ${door.lock} is mapped to two doors` });
          numbers.add(door.number);
          locks.add(`${door.board}/${door.lock}`);
        }
      }),
    cardReader: z.object({ kind: z.literal('simulator') }).strict(),
    scanner: z.object({ kind: z.literal('simulator') }).strict(),
  })
  .strict();

export type TerminalConfig = z.infer<typeof terminalConfigSchema>;

export class ConfigError extends Error {
  constructor(path: string, detail: string) {
    super(`Terminal configuration ${path} is not valid: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Read and validate a configuration file; a bad file is refused with the first problem named. */
export function loadTerminalConfig(path: string): TerminalConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, error instanceof Error ? error.message : String(error));
  }
  const parsed = terminalConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(path, `${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
