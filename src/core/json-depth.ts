/**
 * How deep a value nests, measured without recursion: schema checks and JSON writers recurse, and
 * a value nested a few thousand levels (well under the body limit) overflows their stack. The
 * walk stops at the first level past the limit, so a deeper value costs nothing more.
 */
const maxJsonDepth = 64;

/** true when some array or object in `value` lies more than `max` levels down */
export function nestsDeeperThan(value: unknown, max: number = maxJsonDepth): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item as object))
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return false;
}

export function depthMessage(max: number = maxJsonDepth): string {
  return `nested deeper than ${max} levels (the limit); flatten the value or send it by reference`;
}
