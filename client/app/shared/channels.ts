/** Facts about channels the UI shows. */
import type { ChannelInfo } from '../../../shared/control/protocol.ts';

/**
 * Password-protected channels carry `locked: true`; the field is optional
 * (servers older than it send none), read through a widened type so this
 * compiles whether or not the protocol module has it yet.
 */
export function isLocked(channel: ChannelInfo): boolean {
  return (channel as ChannelInfo & { locked?: boolean }).locked === true;
}
