/**
 * What a door can take and what an item needs of one (migration 14): a size class, and what the
 * door may hold. One definition for the chooser (DoorIntents.freeDoorFor), the records that say
 * what a type needs, and the layout that says what each door is.
 */

/** Door size classes, smallest first (doors.size_class; migration 14 ranks them 1 to 4). */
export const SIZE_CLASSES = ['S', 'M', 'L', 'XL'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

/** What a door may hold: anything, or only weapons, other equipment or exhibits. */
export const DOOR_HOLDS = ['any', 'weapons', 'equipment', 'exhibits'] as const;
export type DoorHolds = (typeof DOOR_HOLDS)[number];

export const sizeRank = (size: SizeClass): number => SIZE_CLASSES.indexOf(size) + 1;

/** What an item going in needs of a door: at least its size, and a door allowed to hold its kind. */
export interface DoorFit {
  sizeRank: number;
  purpose: Exclude<DoorHolds, 'any'>;
}
