/**
 * The scopes a Control UI login code grants, one letter each in the code (gateway/src/ui-login-code.ts
 * mints and checks them under its MAC; the page reads them to say what a link would grant). Pure, so
 * the page imports it too.
 */
export const UI_SCOPE_LETTERS = { r: 'operator.read', w: 'operator.write', p: 'operator.pairing', a: 'operator.approvals', x: 'operator.admin' } as const;
export type UiScope = (typeof UI_SCOPE_LETTERS)[keyof typeof UI_SCOPE_LETTERS];

/** The scopes named by a code's grant letters; a letter no code uses is dropped. */
export function grantScopes(letters: string): UiScope[] {
  return [...new Set(letters)].flatMap((letter) => (letter in UI_SCOPE_LETTERS ? [UI_SCOPE_LETTERS[letter as keyof typeof UI_SCOPE_LETTERS]] : []));
}

/** Who the Control UI's page says it is on connect, and the name its pairing is listed under. */
export const UI_CLIENT = { id: 'tether-control-ui', mode: 'ui', platform: 'web', displayName: 'Control UI' } as const;
