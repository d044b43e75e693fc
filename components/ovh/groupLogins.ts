/**
 * Pure: access-group members whom no hub on their cluster lets in. Such a member still gets an OVH user, S3
 * keys and a policy, but never a server that could use them: usually a typo in a login, or a user who left
 * a hub's allow list and kept bucket rights on paper.
 */
import { FleetConfig, hubMembers } from "../config";

export interface StrandedMember {
    readonly cluster: string;
    readonly group: string;
    readonly member: string;
}

/** Members of every OVH cluster's access groups that no hub on that cluster can admit (`hubMembers`), sorted. */
export function strandedGroupMembers(config: FleetConfig): StrandedMember[] {
    const stranded: StrandedMember[] = [];
    for (const [clusterKey, cluster] of Object.entries(config.clusters)) {
        if (cluster.provider !== "ovh" || !cluster.accessGroups) continue;
        const hubs = Object.values(config.hubs).filter(hub => hub.cluster === clusterKey);
        for (const [group, spec] of Object.entries(cluster.accessGroups)) {
            for (const member of spec.members ?? []) {
                if (!hubs.some(hub => hubMembers(hub, [member]).length > 0)) stranded.push({ cluster: clusterKey, group, member });
            }
        }
    }
    return stranded.sort((a, b) => `${a.cluster}/${a.group}/${a.member}`.localeCompare(`${b.cluster}/${b.group}/${b.member}`));
}
