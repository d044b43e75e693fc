/** IPv4 CIDR blocks as numbers: pure, shared by the subnet plan and the config check of `publicAccessCidrs`. */

export interface Ipv4Cidr {
    /** The address as a 32-bit number. */
    readonly base: number;
    readonly prefix: number;
}

/** The block, or undefined when `cidr` is not `a.b.c.d/n` with octets ≤ 255 and n ≤ 32. */
export function parseCidr(cidr: string): Ipv4Cidr | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!match) return undefined;
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some(o => o > 255) || prefix > 32) return undefined;
    return { base: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

/** The network address of the block: `base` with the host bits cleared. */
export function networkAddress(cidr: Ipv4Cidr): number {
    const size = 2 ** (32 - cidr.prefix);
    return cidr.base - cidr.base % size;
}

export function formatCidr(base: number, prefix: number): string {
    const octets = [24, 16, 8, 0].map(shift => Math.floor(base / 2 ** shift) % 256);
    return `${octets.join(".")}/${prefix}`;
}
