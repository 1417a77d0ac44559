import { describe, expect, it } from 'vitest';
import { createValidator } from '../validate.js';
import {
  ExecApprovalListResultSchema,
  ExecApprovalRequestParamsSchema,
  ExecApprovalRequestResultSchema,
  ExecApprovalResolveParamsSchema,
  ExecApprovalSchema,
} from './exec-approval.js';

const request = { command: 'system.run', argv: ['touch', '/tmp/x'], cwd: '/tmp', resolvedPath: '/usr/bin/touch', timeoutMs: 1_500 };
const approval = { id: 'a', nodeId: 'n', command: 'system.run', argv: ['touch'], resolvedPath: '/usr/bin/touch', createdAtMs: 1, expiresAtMs: 2 };

describe('exec.approval schemas', () => {
  const params = createValidator(ExecApprovalRequestParamsSchema);

  it('accepts a well-formed request, with or without cwd', () => {
    expect(params.check(request)).toBe(true);
    const { cwd: _cwd, ...withoutCwd } = request;
    expect(params.check(withoutCwd)).toBe(true);
  });

  it.each([
    ['another command', { command: 'system.which' }, /command/],
    ['an empty argv', { argv: [] }, /argv/],
    ['a relative resolvedPath', { resolvedPath: 'touch' }, /resolvedPath/],
    ['a relative cwd', { cwd: 'tmp' }, /cwd/],
    ['a zero timeout', { timeoutMs: 0 }, /timeoutMs/],
    ['an extra key', { approved: true }, /unexpected property "approved"/],
  ])('rejects %s', (_name, change, why) => {
    expect(params.check({ ...request, ...change })).toBe(false);
    expect(params.lastError()).toMatch(why);
  });

  it('closes the decision vocabulary', () => {
    const resolve = createValidator(ExecApprovalResolveParamsSchema);
    for (const decision of ['allow-once', 'allow-always', 'deny']) expect(resolve.check({ id: 'a', decision })).toBe(true);
    expect(resolve.check({ id: 'a', decision: 'allow' })).toBe(false);
    const result = createValidator(ExecApprovalRequestResultSchema);
    expect(result.check({ id: 'a', decision: 'deny', reason: 'expired', ttlMs: 60_000 })).toBe(true);
    expect(result.check({ id: 'a', decision: 'deny', reason: 'bored' })).toBe(false);
  });

  it('validates approvals alone and inside a list, in either compile order', () => {
    const one = createValidator(ExecApprovalSchema);
    const list = createValidator(ExecApprovalListResultSchema);
    expect(one.check(approval)).toBe(true);
    expect(list.check({ approvals: [approval] })).toBe(true);
    expect(list.check({ approvals: [{ ...approval, extra: 1 }] })).toBe(false);
  });
});
