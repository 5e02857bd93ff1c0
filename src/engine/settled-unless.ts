/**
 * Resolves when `work` settles (rejecting with its error), or as soon as `giveUp()` is true, looked
 * at every `everyMs`: a stop that waits for work which cannot end by itself (a claim whose commit is
 * in doubt until the server answers) until a forced stop says to wait no more.
 */
export async function settledUnless(
  work: Promise<unknown>,
  giveUp: () => boolean,
  everyMs = 50,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const given = new Promise<void>((resolve) => {
    const look = (): void => {
      if (giveUp()) resolve();
      else timer = setTimeout(look, everyMs);
    };
    look();
  });
  try {
    await Promise.race([work.then(() => undefined), given]);
  } finally {
    clearTimeout(timer);
  }
}
