import { describe, expect, it } from 'vitest';
import { missingApproveScopes, requiredApproveScopes } from './approval-scopes.js';

describe('requiredApproveScopes', () => {
  it.each([
    ['an operator asking for read', { role: 'operator', scopes: ['operator.read'], commands: [] }, [], ['operator.pairing', 'operator.read']],
    ['an operator asking for admin', { role: 'operator', scopes: ['operator.admin'], commands: [] }, [], ['operator.admin', 'operator.pairing']],
    ['a node with no commands', { role: 'node', scopes: [], commands: [] }, [], ['operator.pairing']],
    ['a node with a camera', { role: 'node', scopes: [], commands: ['camera.snap'] }, [], ['operator.pairing', 'operator.write']],
    ['a node with system.run', { role: 'node', scopes: [], commands: ['camera.snap', 'system.run'] }, [], ['operator.admin', 'operator.pairing', 'operator.write']],
    ['a node with system.run left out', { role: 'node', scopes: [], commands: ['camera.snap', 'system.run'] }, ['system.run'], ['operator.pairing', 'operator.write']],
    ['a node with OpenClaw file commands', { role: 'node', scopes: [], commands: ['file.write'] }, [], ['operator.admin', 'operator.pairing', 'operator.write']],
    ['an operator request that carries commands', { role: 'operator', scopes: [], commands: ['system.run'] }, [], ['operator.pairing']],
  ] as const)('%s', (_name, request, without, expected) => {
    expect(requiredApproveScopes({ role: request.role, scopes: [...request.scopes], commands: [...request.commands] }, without)).toEqual(expected);
  });
});

describe('missingApproveScopes', () => {
  it('a pairing-only approver lacks what an admin request grants', () => {
    expect(missingApproveScopes(new Set(['operator.pairing']), ['operator.admin', 'operator.pairing'])).toEqual(['operator.admin']);
  });
  it('operator.admin satisfies everything', () => {
    expect(missingApproveScopes(new Set(['operator.admin']), ['operator.pairing', 'operator.write', 'operator.read'])).toEqual([]);
  });
});
