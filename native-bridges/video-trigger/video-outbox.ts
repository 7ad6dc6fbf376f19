import type { OutboxMessage, OutboxTarget } from '../outbox/outbox.ts';
import { TriggerError, assertVideoEvent, type VideoEvent, type VideoTrigger } from './trigger.ts';

/**
 * How video events ride in the generic outbox. The message's id is the event's id, which is the
 * idempotency key the far ends de-duplicate by.
 */

export const VIDEO_EVENT_TOPIC = 'video-event';

export type VideoMessage = OutboxMessage<VideoEvent>;

/** Throws a TriggerError 'rejected' for a malformed event, so it is refused before it is queued rather than found by a retry loop. */
export function videoMessage(event: VideoEvent): VideoMessage {
  assertVideoEvent(event);
  return { id: event.id, topic: VIDEO_EVENT_TOPIC, at: event.at, payload: { ...event } };
}

/** A trigger as an outbox target: it is sent the event, and the outbox keeps the envelope. */
export function videoOutboxTarget(trigger: VideoTrigger): OutboxTarget<VideoEvent> {
  return {
    name: trigger.name,
    send: async (message) => {
      if (message.topic !== VIDEO_EVENT_TOPIC) throw new TriggerError('rejected', `outbox message ${message.id} is not a video event`);
      await trigger.send(message.payload);
    },
    health: () => trigger.health(),
  };
}

/**
 * For FileOutboxStore's `legacy` option. The log from before the outbox was generic held the
 * VideoEvent itself, so a bookmark still pending at the upgrade is delivered after it. Null for
 * anything that isn't a valid event.
 */
export function legacyVideoMessage(event: unknown): VideoMessage | null {
  try {
    // assertVideoEvent checks every field; a non-object makes it throw, which is a null here too.
    return videoMessage(event as VideoEvent);
  } catch {
    return null;
  }
}
