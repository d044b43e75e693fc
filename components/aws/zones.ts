/**
 * Which availability zones a cluster spans and which of its private subnets each node pool uses. Pure, so the
 * config check and the cluster component place pools by the same rule.
 *
 * Core pools run in one zone. z2jh's hub keeps its database on a `hub-db-dir` claim, which the cluster's
 * default class provisions as an EBS volume, and EBS volumes are zonal (the PV carries a node affinity to its
 * zone): with core nodes in several zones, a replaced or rescheduled hub can land on a node in another zone and
 * stay Pending for good. A core pool per zone would also fit the volume, but costs `minNodes` per zone and only
 * moves the problem (the volume still lives in one zone); one zone keeps one hub database reachable from every
 * core node. User pools span every zone: homes are on EFS, which every zone mounts.
 */
import { NodePoolSpec, nodePoolPurpose } from "../config/clusterFields";

/** The zones used when the config names none. Regions without one of them need `availabilityZones`. */
export function defaultZones(region: string): string[] {
    return ["a", "b", "c"].map(letter => `${region}${letter}`);
}

/** A private subnet: the stable key its dependants are named by (zone, or subnet id) and its zone where known. */
export interface SubnetPlacement {
    readonly key: string;
    readonly zone?: string;
}

/**
 * The keys of the subnets `pool`'s node group goes in: the pool's `zones` when given, else every zone for a
 * user pool and, for a core pool, the first subnet listed (the first of `availabilityZones`, `<region>a` when
 * none are listed, or an existing VPC's first subnet). Reordering that list would move the core pool and strand
 * hub databases in the old zone, so the example stacks name the zone on the core pool. Throws for a zone the
 * cluster has no subnet in (the config check reports the same, with its path, before anything runs).
 */
export function poolSubnetKeys(poolKey: string, pool: NodePoolSpec, subnets: readonly SubnetPlacement[]): string[] {
    if (pool.zones) {
        return pool.zones.map(zone => {
            const subnet = subnets.find(s => s.zone === zone);
            if (!subnet) {
                throw new Error(`nodePools.${poolKey}.zones: the cluster has no private subnet in ${zone} ` +
                    `(its zones: ${subnets.map(s => s.zone ?? "unknown").join(", ")})`);
            }
            return subnet.key;
        });
    }
    if (subnets.length === 0) throw new Error("a cluster needs at least one private subnet");
    return nodePoolPurpose(poolKey, pool) === "core" ? [subnets[0].key] : subnets.map(s => s.key);
}
