/** The checks that did not hold, in the order they were made. */
const failures: string[] = [];

/** Prints one invariant as `ok` or `FAIL` and remembers it when it does not hold. */
export function check(holds: boolean, what: string): void {
  console.log(`${holds ? '  ok  ' : '  FAIL'} ${what}`);
  if (!holds) failures.push(what);
}

/** How many checks did not hold so far: the run's verdict. */
export function failedChecks(): number {
  return failures.length;
}
