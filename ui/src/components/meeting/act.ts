// What a meeting's parts are handed by the page: one way to record a step on the meeting
// (it reloads the page and says `done` on success), and whether a step is under way.
import type { MeetingCommand } from '../../bindings/MeetingCommand'

export type Act = (command: MeetingCommand, done?: string) => Promise<boolean>
