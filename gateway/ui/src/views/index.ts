/** The views of the Control UI, in tab order. Each is one file under views/ that gets the UiContext. */
import type { FunctionComponent } from 'preact';
import type { UiContext } from '../ui-context.js';
import { AgentView } from './agent.js';
import { ApprovalsView } from './approvals.js';
import { DevicesView } from './devices.js';
import { HealthView } from './health.js';
import { NodesView } from './nodes.js';

export interface ViewDefinition {
  id: string;
  title: string;
  component: FunctionComponent<{ ctx: UiContext }>;
}

export const VIEWS: readonly ViewDefinition[] = [
  { id: 'devices', title: 'Devices', component: DevicesView },
  { id: 'nodes', title: 'Nodes', component: NodesView },
  { id: 'approvals', title: 'Approvals', component: ApprovalsView },
  { id: 'agent', title: 'Agent', component: AgentView },
  { id: 'health', title: 'Health', component: HealthView },
];
