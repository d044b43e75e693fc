/**
 * Pure: which NVIDIA accelerators GKE attaches to which machine families, and in which zones of the regions the
 * example stacks and tests use (Compute Engine docs, "GPU regions and zones availability" and "GPU machine
 * types"). Extend the tables when a stack uses another region or type; a region missing here is not checked.
 */

/** Accelerator type -> the machine families that take it (N1 takes the older GPUs; G2, A2, A3 come with theirs). */
export const ACCELERATOR_MACHINE_FAMILIES: Readonly<Record<string, readonly string[]>> = {
    "nvidia-tesla-t4": ["n1"],
    "nvidia-tesla-v100": ["n1"],
    "nvidia-tesla-p4": ["n1"],
    "nvidia-l4": ["g2"],
    "nvidia-tesla-a100": ["a2"],
    "nvidia-a100-80gb": ["a2"],
    "nvidia-h100-80gb": ["a3"],
};

/** Region -> accelerator type -> its zones. Types a known region does not list are not checked there. */
export const ACCELERATOR_ZONES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
    "us-central1": {
        "nvidia-tesla-t4": ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
        "nvidia-tesla-v100": ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
        "nvidia-l4": ["us-central1-a", "us-central1-b", "us-central1-c"],
        "nvidia-tesla-a100": ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
    },
};

/** The machine family of a GCE machine type (`n1-standard-8` -> `n1`). */
export function machineFamily(machineType: string): string {
    return machineType.split("-")[0];
}

/**
 * Why GKE would refuse `count` GPUs of `type` on `machineType` in `zones` of `region`, or undefined when it
 * would take them (or the tables cannot tell).
 */
export function acceleratorProblem(type: string, machineType: string, region: string, zones: readonly string[]): { what: string; fix: string } | undefined {
    const families = ACCELERATOR_MACHINE_FAMILIES[type];
    if (!families) {
        return {
            what: `unknown accelerator type "${type}"`,
            fix: `use one of ${Object.keys(ACCELERATOR_MACHINE_FAMILIES).join(", ")}, or add it to components/gcp/accelerators.ts`,
        };
    }
    if (!families.includes(machineFamily(machineType))) {
        return {
            what: `${type} does not attach to ${machineType}`,
            fix: `use a ${families.map(f => `${f}-*`).join(" or ")} machine type with ${type}`,
        };
    }
    const known = ACCELERATOR_ZONES[region]?.[type];
    const missing = known ? zones.filter(zone => !known.includes(zone)) : [];
    if (known && missing.length > 0) {
        return {
            what: `${type} is not offered in ${missing.join(", ")}`,
            fix: `put the pool in zones that have it: zones: [${known.filter(zone => zone.startsWith(region)).join(", ")}]`,
        };
    }
    return undefined;
}
