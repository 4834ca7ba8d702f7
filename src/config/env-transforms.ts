/** class-transformer `@Transform` functions that turn environment strings into the values EnvVars validates. */
type Input = { value: unknown };

/** '' and unset are both "not set"; anything else becomes a number (NaN fails the rule with the raw text shown). */
export const toNumber = ({ value }: Input) => (value === undefined || value === '' ? undefined : Number(value));

export const toBool = ({ value }: Input) => {
  if (typeof value !== 'string' || value === '') {
    return value === '' ? undefined : value;
  }
  const text = value.toLowerCase();
  return text === 'true' || text === '1' || text === 'yes'
    ? true
    : text === 'false' || text === '0' || text === 'no'
      ? false
      : value;
};

export const emptyToUndefined = ({ value }: Input) => (value === '' ? undefined : value);

/** For comma-separated lists: blanks around the items do not matter. */
export const withoutBlanks = ({ value }: Input) =>
  typeof value === 'string' ? value.replace(/\s+/g, '') || undefined : value;
