/**
 * The agent's device tools: one typed tool per device command, named the way small models call tools
 * reliably (`camera_snap`, not `camera.snap`), with the parameters the model may set. The parameters
 * come from protocol's command schemas (`exposed` picks the ones meant for a model: OpenClaw's
 * bookkeeping fields of system.run such as `approved` or `systemRunPlan` are not offered).
 */
import type { TSchema } from '@sinclair/typebox';
import {
  CameraClipParamsSchema,
  CameraSnapParamsSchema,
  LocationGetParamsSchema,
  NotifyParamsSchema,
  ScreenRecordParamsSchema,
  ScreenSnapshotParamsSchema,
  SystemRunParamsSchema,
} from '@tether/protocol';

export interface DeviceTool {
  /** The tool name the model sees. */
  name: string;
  /** The node command it invokes. */
  command: string;
  description: string;
  /** The command's params schema: what the node validates, and what a call is checked against. */
  params: TSchema;
  /** Params the model may set; absent = every param of the schema. */
  exposed?: readonly string[];
}

export const DEVICE_TOOLS: readonly DeviceTool[] = [
  {
    name: 'camera_snap',
    command: 'camera.snap',
    description: 'Take a photo with a camera on a node and look at it. Use it to answer what a camera sees right now.',
    params: CameraSnapParamsSchema,
    exposed: ['facing', 'deviceId', 'maxWidth', 'delayMs'],
  },
  {
    name: 'camera_clip',
    command: 'camera.clip',
    description: 'Record a short video clip with a camera on a node; the clip is saved and its path returned.',
    params: CameraClipParamsSchema,
    exposed: ['durationMs', 'includeAudio', 'deviceId', 'facing'],
  },
  {
    name: 'screen_snapshot',
    command: 'screen.snapshot',
    description: "Take a screenshot of a node's screen and look at it.",
    params: ScreenSnapshotParamsSchema,
    exposed: ['screenIndex', 'maxWidth'],
  },
  {
    name: 'screen_record',
    command: 'screen.record',
    description: "Record a short video of a node's screen; the recording is saved and its path returned.",
    params: ScreenRecordParamsSchema,
    exposed: ['durationMs', 'fps', 'screenIndex'],
  },
  {
    name: 'location_get',
    command: 'location.get',
    description: 'Get the current location of a node (latitude, longitude, accuracy).',
    params: LocationGetParamsSchema,
    exposed: ['desiredAccuracy', 'maxAgeMs', 'timeoutMs'],
  },
  {
    name: 'run_command',
    command: 'system.run',
    description:
      'Run a program on a node, as an argv array (no shell): e.g. ["df","-h"]. The node owner decides which programs may run; ' +
      'a run may wait for an operator to approve it.',
    params: SystemRunParamsSchema,
    exposed: ['command', 'cwd', 'timeoutMs'],
  },
  {
    name: 'notify',
    command: 'system.notify',
    description: 'Show a notification to the person at a node.',
    params: NotifyParamsSchema,
    exposed: ['title', 'body', 'priority'],
  },
];

/** Commands with a tool of their own; every other declared command is reached through `node_invoke`. */
export const COMMANDS_WITH_TOOLS: ReadonlySet<string> = new Set([...DEVICE_TOOLS.map((tool) => tool.command), 'system.which', 'camera.list']);
