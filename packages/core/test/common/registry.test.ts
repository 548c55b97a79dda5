import { describe, expect, it } from 'vitest';
import { CohortError } from '../../src/common/errors.js';
import { Registry } from '../../src/common/registry.js';

describe('Registry: deferred entries', () => {
  it('are defined on first use, once, and listed before that', () => {
    const registry = new Registry<string>('thing');
    let definitions = 0;
    registry.addDeferred('later', () => {
      definitions++;
      registry.add('later', 'defined');
    });
    expect(registry.names()).toEqual(['later']);
    expect(definitions).toBe(0);
    expect(registry.get('later')).toBe('defined');
    expect(registry.get('later')).toBe('defined');
    expect(definitions).toBe(1);
    expect(registry.names()).toEqual(['later']);
  });

  it('may be defined directly, by their own definition, before anyone asks', () => {
    const registry = new Registry<string>('thing');
    const define = (): void => registry.add('later', 'defined');
    registry.addDeferred('later', define);
    define();
    expect(registry.get('later')).toBe('defined');
  });

  it('reserve their name: a second entry of that name is refused', () => {
    const registry = new Registry<string>('thing');
    registry.addDeferred('taken', () => registry.add('taken', 'first'));
    registry.add('other', 'x');
    const refused = (f: () => void): void => {
      expect(f).toThrow(CohortError);
      expect(f).toThrow(/thing "\w+" is defined twice/);
    };
    refused(() => registry.addDeferred('taken', () => undefined));
    refused(() => registry.addDeferred('other', () => undefined));
    registry.get('taken');
    refused(() => registry.add('taken', 'second'));
  });
});
