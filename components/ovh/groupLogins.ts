/**
 * Pure: access-group members whom no hub on their cluster lets in. Such a member still gets an OVH user, S3
 * keys and a policy, but never a server that could use them: usually a typo in a login, or a user who left
 * a hub's allow list and kept bucket rights on paper.
 */
import { AuthSpec, FleetConfig, HubSpec } from "../config";

export interface StrandedMember {
    readonly cluster: string;
    readonly group: string;
    readonly member: string;
}

/**
 * Whether `login` may be able to log into a hub with `auth`: certainly when a list names it; possibly when a
 * rule the plan cannot evaluate offline (an organisation, a team, an IdP group, anyone) may admit it.
 */
function mayLogIn(auth: AuthSpec, login: string): boolean {
    const named = [...(auth.allowedUsers ?? []), ...(auth.adminUsers ?? [])].map(user => user.toLowerCase());
    if (named.includes(login.toLowerCase()) || auth.allowAll) return true;
    switch (auth.type) {
        case "github": return (auth.allowedOrganizations ?? []).length > 0;
        case "oidc": return (auth.allowedGroups ?? []).length > 0 || (auth.adminGroups ?? []).length > 0;
        // Any name logs in (laptop clusters only).
        case "dummy": return true;
    }
}

/** Members of every OVH cluster's access groups that no hub on that cluster can admit, sorted. */
export function strandedGroupMembers(config: FleetConfig): StrandedMember[] {
    const stranded: StrandedMember[] = [];
    for (const [clusterKey, cluster] of Object.entries(config.clusters)) {
        if (cluster.provider !== "ovh" || !cluster.accessGroups) continue;
        const hubs: HubSpec[] = Object.values(config.hubs).filter(hub => hub.cluster === clusterKey);
        for (const [group, spec] of Object.entries(cluster.accessGroups)) {
            for (const member of spec.members ?? []) {
                if (!hubs.some(hub => mayLogIn(hub.auth, member))) stranded.push({ cluster: clusterKey, group, member });
            }
        }
    }
    return stranded.sort((a, b) => `${a.cluster}/${a.group}/${a.member}`.localeCompare(`${b.cluster}/${b.group}/${b.member}`));
}
