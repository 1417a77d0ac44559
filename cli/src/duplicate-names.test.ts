import { describe, expect, it } from 'vitest';
import { findDuplicateNames, isDuplicateName, nameKey } from './duplicate-names.js';

describe('nameKey', () => {
  it.each([
    ['kitchen-pi', 'Kitchen-Pi'],
    ['kitchen-pi', 'kitchen-pi\u200b'],
    ['kitchen-pi', '\u202ekitchen-pi'],
    ['kitchen-pi', ' kitchen-pi '],
    ['kitchen-pi', 'ｋｉｔｃｈｅｎ-pi'],
    ['kitchen-pi', 'kitchen-pi\x1b'],
  ])('%j looks like %j', (a, b) => expect(nameKey(a)).toBe(nameKey(b)));

  it('keeps different names apart', () => {
    expect(nameKey('kitchen-pi')).not.toBe(nameKey('kitchen-p1'));
    expect(nameKey('kitchen-pi')).not.toBe(nameKey('kitchen_pi'));
  });
});

describe('findDuplicateNames', () => {
  it('groups distinct devices that look alike, and not one device listed twice', () => {
    const groups = findDuplicateNames([
      { id: 'a', name: 'kitchen-pi' },
      { id: 'b', name: 'Kitchen-Pi\u200b' },
      { id: 'c', name: 'garage' },
      { id: 'c', name: 'garage' },
      { id: 'd', name: undefined },
      { id: 'e', name: undefined },
      { id: 'f', name: '\u200b' },
      { id: 'g', name: '' },
    ]);
    expect([...groups.keys()]).toEqual(['kitchen-pi']);
    expect(groups.get('kitchen-pi')!.map((e) => e.id)).toEqual(['a', 'b']);
    expect(isDuplicateName(groups, 'KITCHEN-PI')).toBe(true);
    expect(isDuplicateName(groups, 'garage')).toBe(false);
    expect(isDuplicateName(groups, undefined)).toBe(false);
  });
});
