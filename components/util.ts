/** Plain-data helpers shared by every platform: merging, deterministic JSON, name suggestions. */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
    return typeof value === "object" && value !== null && !Array.isArray(value) &&
        Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Merges `overlay` onto `base` the way helm merges values files: maps merge key by key, lists and scalars
 * replace. Neither input is modified. Non-plain objects (Pulumi Outputs, assets) are treated as scalars.
 */
export function deepMerge<T>(base: T, overlay: unknown): T {
    if (overlay === undefined) {
        return base;
    }
    if (!isPlainObject(base) || !isPlainObject(overlay)) {
        return overlay as T;
    }
    const merged: PlainObject = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
        merged[key] = key in merged ? deepMerge(merged[key], value) : value;
    }
    return merged as T;
}

/** Returns a copy with every plain object's keys sorted, so serialisations are byte-for-byte stable. */
export function sortKeysDeep<T>(value: T): T {
    if (Array.isArray(value)) {
        return value.map(sortKeysDeep) as unknown as T;
    }
    if (isPlainObject(value)) {
        const sorted: PlainObject = {};
        for (const key of Object.keys(value).sort()) {
            sorted[key] = sortKeysDeep(value[key]);
        }
        return sorted as T;
    }
    return value;
}

/** JSON with sorted keys: providers store policy documents as strings, and key order must not cause diffs. */
export function stableJson(value: unknown): string {
    return JSON.stringify(sortKeysDeep(value));
}

function editDistance(a: string, b: string): number {
    const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = previous[0];
        previous[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = previous[j];
            previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1,
                diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return previous[b.length];
}

/** The closest of `candidates` to a misspelled `word`, if one is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
    for (const candidate of candidates) {
        const distance = editDistance(word, candidate);
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}
