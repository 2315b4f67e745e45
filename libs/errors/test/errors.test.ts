import { BadRequestError, ConflictError, DomainError, isDomainError, NotFoundError, ValidationError } from '../src';

describe('domain errors', () => {
  it('carry a code, a message and their own class name', () => {
    const error = new NotFoundError('Item 1 not found');
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.name).toBe('NotFoundError');
    expect(error.message).toBe('Item 1 not found');
  });

  it('keep field details and causes', () => {
    const cause = new Error('sdk');
    expect(new ValidationError('bad', [{ path: 'name', message: 'required' }]).details).toEqual([
      { path: 'name', message: 'required' },
    ]);
    expect(new ConflictError('stale', { cause }).cause).toBe(cause);
    expect(new BadRequestError('bad', undefined, { cause }).cause).toBe(cause);
  });

  it('are told apart from other errors', () => {
    expect(isDomainError(new ConflictError('x'))).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
    expect(isDomainError('x')).toBe(false);
  });
});
