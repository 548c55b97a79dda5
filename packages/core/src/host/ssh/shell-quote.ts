/**
 * Quotes `word` for a POSIX shell (sh, bash, dash, zsh, ksh): the remote login shell that runs an ssh command
 * parses the whole command line again, so every word Cohort puts there is single-quoted. Inside single quotes
 * nothing is special except the quote itself, written as `'\''` (close, escaped quote, reopen).
 * @example shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line of quoted words. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
