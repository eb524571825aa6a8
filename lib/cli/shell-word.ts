// A word as a POSIX shell reads it back: as is when it holds no special character, else in single
// quotes. For the command lines vaurien prints for the user to paste (demo hints, vaurienctl).
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
