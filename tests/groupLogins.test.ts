import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { strandedGroupMembers } from "../components/ovh/groupLogins";

/** One OVH cluster with two groups and the given hubs on it. */
function fleet(hubs: Record<string, Record<string, unknown>>) {
    return parseFleetConfig({
        clusters: {
            gfts: {
                provider: "ovh", serviceName: "0123456789abcdef0123456789abcdef", region: "GRA11", s3: { region: "gra" },
                kubernetesVersion: "1.35", network: { vlanId: 10, cidr: "10.0.0.0/16" },
                nodePools: { core: { machineType: "b3-16", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-64", minNodes: 0, maxNodes: 4 } },
                homeStorage: { type: "dynamic", size: "10Gi" },
                buckets: { "gfts-data": {} },
                accessGroups: {
                    default: { read: ["gfts-data"] },
                    ifremer: { members: ["annefou", "aderrien7"], write: ["gfts-data"] },
                    vliz: { members: ["davidcasalsvliz"], write: ["gfts-data"] },
                },
            },
        },
        hubs: Object.fromEntries(Object.entries(hubs).map(([key, auth]) => [key, {
            cluster: "gfts", domain: `${key}.example.org`, contactEmail: "ops@example.org", auth,
        }])),
        hubSecrets: Object.fromEntries(Object.keys(hubs).map(key => [key, { auth: { clientSecret: "s" } }])),
    }, { stack: "prod", secretKeys: ["hubSecrets"] });
}

describe("access-group members who cannot log into any hub", () => {
    it("names each member that no hub on the cluster admits", () => {
        const config = fleet({ gfts: { type: "github", clientId: "Iv1.a", allowedUsers: ["annefou"], adminUsers: ["AdErrien7"] } });
        assert.deepStrictEqual(strandedGroupMembers(config), [{ cluster: "gfts", group: "vliz", member: "davidcasalsvliz" }]);
    });

    it("counts a member as admitted by any hub of the cluster, or by a rule the plan cannot read offline", () => {
        const byList = fleet({
            a: { type: "github", clientId: "Iv1.a", allowedUsers: ["annefou", "aderrien7"] },
            b: { type: "github", clientId: "Iv1.b", allowedUsers: ["davidcasalsvliz"] },
        });
        assert.deepStrictEqual(strandedGroupMembers(byList), []);
        const byOrganization = fleet({ a: { type: "github", clientId: "Iv1.a", allowedOrganizations: ["gfts"] } });
        assert.deepStrictEqual(strandedGroupMembers(byOrganization), []);
    });
});
