/** IPv4 CIDR blocks as the clouds read them: four numbers 0–255, a prefix, and no host bits. */
import { formatPath, PathPart, Problems } from "./errors";

interface Block {
    readonly base: number;
    readonly size: number;
}

function formatBlock(base: number, prefix: number): string {
    return `${[24, 16, 8, 0].map(shift => Math.floor(base / 2 ** shift) % 256).join(".")}/${prefix}`;
}

/**
 * Checks each block of one network, then that no two of them overlap (a route or a subnet would then be
 * ambiguous, and the cloud refuses it at create time). Blocks of different networks may overlap.
 */
export function checkCidrs(blocks: readonly (readonly [path: readonly PathPart[], cidr: string])[], problems: Problems): void {
    const valid: [readonly PathPart[], string, Block][] = [];
    for (const [path, cidr] of blocks) {
        const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
        const octets = match ? match.slice(1, 5).map(Number) : [];
        const prefix = match ? Number(match[5]) : NaN;
        if (!match || octets.some(octet => octet > 255) || prefix > 32) {
            problems.add(path, `"${cidr}" is not an IPv4 CIDR block`, "write four numbers 0–255 and a prefix, such as 10.10.0.0/16");
            continue;
        }
        const base = octets.reduce((acc, octet) => acc * 256 + octet, 0);
        const size = 2 ** (32 - prefix);
        if (base % size !== 0) {
            problems.add(path, `"${cidr}" has host bits set`, `use the network address: ${formatBlock(base - base % size, prefix)}`);
            continue;
        }
        for (const [otherPath, otherCidr, other] of valid) {
            if (base < other.base + other.size && other.base < base + size) {
                problems.add(path, `${cidr} overlaps ${otherCidr} at ${formatPath(otherPath)}`, "give each range its own addresses");
            }
        }
        valid.push([path, cidr, { base, size }]);
    }
}
