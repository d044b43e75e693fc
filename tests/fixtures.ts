/** Realistic raw config used across tests: an AWS research fleet in the shape of the stack files. */

export function awsCluster(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        provider: "aws",
        region: "us-west-2",
        kubernetesVersion: "1.33",
        nodePools: {
            core: { machineType: "r5.xlarge", minNodes: 1, maxNodes: 3 },
            user: { machineType: "r5.4xlarge", minNodes: 0, maxNodes: 20, spot: true },
        },
        homeStorage: { type: "efs" },
        buckets: { scratch: { deleteAfterDays: 7 }, persistent: {} },
        ...overrides,
    };
}

export function githubHub(cluster: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        cluster,
        domain: "staging.hub.example.org",
        contactEmail: "ops@example.org",
        auth: { type: "github", clientId: "Iv1.abc", allowedOrganizations: ["example-org"], adminUsers: ["alice"] },
        cloudAccess: { bucketAdminAccess: ["scratch"], bucketReadonlyAccess: ["persistent"] },
        bucketEnv: { SCRATCH_BUCKET: "scratch" },
        ...overrides,
    };
}

export function awsFleet(): Record<string, unknown> {
    return {
        clusters: { uw2: awsCluster() },
        hubDefaults: { chartVersion: "4.4.2", values: { cull: { timeout: 7200 } } },
        hubs: { staging: githubHub("uw2") },
        hubSecrets: { staging: { auth: { clientSecret: "gh-client-secret" } } },
    };
}
