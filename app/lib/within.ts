// A wait with a bound: what `work` settles to if it settles within `ms`, else what `late` returns (or
// throws). The timer is cleared either way, so a bounded wait never keeps the process alive. Pure.
export async function within<T, L = T>(
  work: Promise<T>,
  ms: number,
  late: () => L,
): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<L>((resolve, reject) => {
        timer = setTimeout(() => {
          try {
            resolve(late());
          } catch (error) {
            reject(error);
          }
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
