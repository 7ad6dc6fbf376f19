/** What the peer-style conductor and its room process (peer-room.ts) say to each other over the fork's IPC channel. */
import { z } from 'zod';

const door = z.number().int().min(1).max(16);
export const roomCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('take'), door }).strict(),
  z.object({ type: z.literal('put'), door }).strict(),
  z.object({ type: z.literal('close'), door }).strict(),
  z.object({ type: z.literal('scan'), id: z.number().int(), tag: z.string().min(1) }).strict(),
  z.object({ type: z.literal('ping'), id: z.number().int() }).strict(),
  z.object({ type: z.literal('stop') }).strict(),
]);
export type RoomCommand = z.infer<typeof roomCommandSchema>;

export const roomEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), lockerPath: z.string(), scannerPath: z.string() }).strict(),
  /** An unlock frame for `door` reached the boards. */
  z.object({ type: z.literal('unlock'), door, at: z.number() }).strict(),
  /** A status reply just written says `door` is now open (or closed), unlike the reply before it. */
  z.object({ type: z.literal('reading'), door, open: z.boolean(), at: z.number() }).strict(),
  /** The scan `id`'s last byte is in the pty. */
  z.object({ type: z.literal('scanned'), id: z.number().int(), at: z.number() }).strict(),
  z.object({ type: z.literal('pong'), id: z.number().int(), at: z.number() }).strict(),
  z.object({ type: z.literal('failed'), message: z.string() }).strict(),
]);
export type RoomEvent = z.infer<typeof roomEventSchema>;
