import { channel } from 'node:diagnostics_channel';

const steps = channel('piragua:step');

/**
 * Announces that an operation finished a durable step (`create:quota`, `delete:trash`, ...). Nothing
 * here listens: the crash tests preload a subscriber that kills the process at a named step, which
 * keeps fault injection out of the service itself.
 */
export function stepReached(step: string): void {
  if (steps.hasSubscribers) {
    steps.publish(step);
  }
}
