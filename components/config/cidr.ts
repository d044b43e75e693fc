/** IPv4 CIDR blocks of a cluster's network as the clouds read them: four numbers 0–255, a prefix, no host bits. */
import { formatCidr, networkAddress, parseCidr } from "../aws/cidr";
import { formatPath, PathPart, Problems } from "./errors";

/**
 * Checks each block of one network, then that no two of them overlap (a route or a subnet would then be
 * ambiguous, and the cloud refuses it at create time). Blocks of different networks may overlap.
 */
export function checkCidrs(blocks: readonly (readonly [path: readonly PathPart[], cidr: string])[], problems: Problems): void {
    const valid: [readonly PathPart[], string, number, number][] = [];
    for (const [path, cidr] of blocks) {
        const parsed = parseCidr(cidr);
        if (!parsed) {
            problems.add(path, `"${cidr}" is not an IPv4 CIDR block`, "write four numbers 0–255 and a prefix, such as 10.10.0.0/16");
            continue;
        }
        const base = networkAddress(parsed);
        if (base !== parsed.base) {
            problems.add(path, `"${cidr}" has host bits set`, `use the network address: ${formatCidr(base, parsed.prefix)}`);
            continue;
        }
        const size = 2 ** (32 - parsed.prefix);
        for (const [otherPath, otherCidr, otherBase, otherSize] of valid) {
            if (base < otherBase + otherSize && otherBase < base + size) {
                problems.add(path, `${cidr} overlaps ${otherCidr} at ${formatPath(otherPath)}`, "give each range its own addresses");
            }
        }
        valid.push([path, cidr, base, size]);
    }
}
