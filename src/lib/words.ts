/** "1 run", "3 runs": a count with its noun, for words whose plural takes an s. */
export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
