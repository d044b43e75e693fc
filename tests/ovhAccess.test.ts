/**
 * OVH access groups without Pulumi: the policy documents, their evaluation (ours against a full IAM
 * evaluator), the access report, and the GFTS fleet in docs/ovh.md.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { FleetConfig, FleetConfigError, OvhClusterSpec, parseFleetConfig, RawFleetConfig } from "../components/config";
import { accessMatrix, OPERATOR_PRINCIPAL } from "../components/ovh/accessMatrix";
import {
    accessLevel, bucketProbes, createBucketProbe, Decision, evaluate, PROBE_ACTIONS, Probe,
} from "../components/ovh/policyEvaluator";
import {
    accessPrincipals, fullControlPolicy, S3_ACCESS_CONTROL_ACTIONS, S3_BUCKET_LIFECYCLE_ACTIONS, S3_READ_ACTIONS, S3_WRITE_ACTIONS,
    S3PolicyDocument,
} from "../components/ovh/s3Policies";
import { fleetAccess, main, renderAccessTables } from "../scripts/access";
import { parseStackFile } from "../scripts/stackConfig";

/** The `config:` YAML block of docs/ovh.md: the GFTS fleet operators paste into Pulumi.prod.yaml. */
function docsStackText(): string {
    const markdown = fs.readFileSync(path.join(__dirname, "..", "docs", "ovh.md"), "utf8");
    const block = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]).find(b => b.startsWith("config:"));
    assert.ok(block, "docs/ovh.md has no ```yaml block starting with config:");
    return block;
}

/** The stack file after the operator ran the documented `pulumi config set --secret` for the client secret. */
function docsStackWithSecret(): string {
    // Shaped like the CLI's ciphertext (v1:<12-byte nonce>:<sealed>), which the stack file reader checks.
    return docsStackText() + "  jupyterhub-fleet:hubSecrets:\n    gfts:\n      auth:\n        clientSecret:\n          secure: v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\n";
}

function rawFromStackText(text: string): { raw: RawFleetConfig; secretKeys: string[] } {
    const stack = parseStackFile(text);
    const raw: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [fullKey, value] of Object.entries(stack.config)) {
        const key = fullKey.split(":")[1];
        raw[key] = JSON.parse(value);
        if (stack.secretKeys.includes(fullKey)) secretKeys.push(key);
    }
    return { raw, secretKeys };
}

/** Seed 000's groups: the docs fleet, with a member in ifremer-users (the seed names none). */
function seedFleet(edit: (clusters: any) => void = () => undefined): FleetConfig {
    const { raw, secretKeys } = rawFromStackText(docsStackWithSecret());
    const clusters = raw.clusters as any;
    clusters.gfts.accessGroups["ifremer-users"].members = ["ifremer-example"];
    edit(clusters);
    return parseFleetConfig(raw, { stack: "prod", secretKeys });
}

function seedCluster(edit?: (clusters: any) => void): OvhClusterSpec {
    return seedFleet(edit).clusters.gfts as OvhClusterSpec;
}

async function simulate(policy: S3PolicyDocument, probe: Probe): Promise<Decision> {
    const response = await runSimulation({
        identityPolicies: [{ name: "ovh-user-policy", policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
            principal: "arn:aws:iam::123456789012:user/hub-user",
            action: probe.action,
            resource: { resource: probe.resource, accountId: "123456789012" },
            contextVariables: {},
        },
    }, {});
    if (response.resultType !== "single") {
        throw new Error(`iam-simulate could not evaluate ${probe.action} on ${probe.resource}: ${JSON.stringify(response)}`);
    }
    return response.overallResult as Decision;
}

const BUCKETS = ["destine-gfts-data-lake", "gfts-ifremer", "gfts-reference-data", "gfts-vliz"];

/**
 * Seed 000, "Getting access": what each user may do, bucket by bucket (in BUCKETS order), with ACL writes
 * denied to everyone but the admins, and the fleet's operator, which creates the buckets.
 */
const SEED_ACCESS: Record<string, { levels: string[]; createBucket: Decision; accessControl: Decision }> = {
    [OPERATOR_PRINCIPAL]: { levels: ["admin", "admin", "admin", "admin"], createBucket: "ImplicitlyDenied", accessControl: "Allowed" },
    "default": { levels: ["read", "none", "read", "none"], createBucket: "ExplicitlyDenied", accessControl: "ExplicitlyDenied" },
    "admins/annefou": { levels: ["admin", "admin", "admin", "admin"], createBucket: "ImplicitlyDenied", accessControl: "Allowed" },
    "admins/minrk": { levels: ["admin", "admin", "admin", "admin"], createBucket: "ImplicitlyDenied", accessControl: "Allowed" },
    "ifremer-developers/aderrien7": { levels: ["read", "write", "write", "none"], createBucket: "ExplicitlyDenied", accessControl: "ExplicitlyDenied" },
    "ifremer-users/ifremer-example": { levels: ["read", "write", "read", "none"], createBucket: "ExplicitlyDenied", accessControl: "ExplicitlyDenied" },
    "vliz/davidcasalsvliz": { levels: ["read", "none", "read", "write"], createBucket: "ExplicitlyDenied", accessControl: "ExplicitlyDenied" },
};

describe("ovh access: policy evaluator", () => {
    const policy = {
        Statement: [
            { Sid: "A", Effect: "Allow", Action: ["s3:Get*", "S3:LIST?UCKET"], Resource: ["arn:aws:s3:::data", "arn:aws:s3:::data/*"] },
            { Sid: "D", Effect: "Deny", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/*" },
        ],
    };

    it("allows by wildcard, case-insensitively for actions only", () => {
        assert.strictEqual(evaluate(policy, "s3:GetObjectTagging", "arn:aws:s3:::data/x"), "Allowed");
        assert.strictEqual(evaluate(policy, "s3:ListBucket", "arn:aws:s3:::data"), "Allowed");
        assert.strictEqual(evaluate(policy, "s3:GetObject", "arn:aws:s3:::DATA/x"), "ImplicitlyDenied");
        assert.strictEqual(evaluate(policy, "s3:GetObject", "arn:aws:s3:::data2/x"), "ImplicitlyDenied");
        assert.strictEqual(evaluate(policy, "s3:PutObject", "arn:aws:s3:::data/x"), "ImplicitlyDenied");
    });

    it("lets an explicit Deny win whatever the statement order", () => {
        assert.strictEqual(evaluate(policy, "s3:GetObject", "arn:aws:s3:::data/secret/x"), "ExplicitlyDenied");
        const reversed = { Statement: [...policy.Statement].reverse() };
        assert.strictEqual(evaluate(reversed, "s3:GetObject", "arn:aws:s3:::data/secret/x"), "ExplicitlyDenied");
    });

    it("refuses policy elements it does not implement instead of guessing", () => {
        const withCondition = { Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: {} }] };
        assert.throws(() => evaluate(withCondition, "s3:GetObject", "arn:aws:s3:::b/x"), /Condition not supported/);
        const notAction = { Statement: [{ Effect: "Allow", NotAction: "s3:*", Resource: "*" }] };
        assert.throws(() => evaluate(notAction, "s3:GetObject", "arn:aws:s3:::b/x"), /NotAction not supported/);
    });

    it("classifies exact action sets and calls anything else partial", () => {
        assert.strictEqual(accessLevel([]), "none");
        assert.strictEqual(accessLevel(S3_READ_ACTIONS), "read");
        assert.strictEqual(accessLevel(S3_WRITE_ACTIONS), "write");
        assert.strictEqual(accessLevel(PROBE_ACTIONS), "admin");
        assert.strictEqual(accessLevel(["s3:GetObject"]), "partial");
        assert.strictEqual(accessLevel([...S3_READ_ACTIONS, "s3:PutBucketPolicy"]), "partial");
    });

    it("agrees with a full IAM evaluator on hand-written edge cases", async () => {
        for (const probe of [...bucketProbes("data"), ...bucketProbes("data2"), { action: "s3:GetObject", resource: "arn:aws:s3:::data/secret/x" }]) {
            assert.strictEqual(evaluate(policy, probe.action, probe.resource), await simulate(policy as any, probe), `${probe.action} ${probe.resource}`);
        }
    });
});

describe("ovh access: seed 000 groups", () => {
    let cluster: OvhClusterSpec;
    before(() => {
        cluster = seedCluster();
    });

    it("creates one principal per member and one for the default group, named from group and login", () => {
        assert.deepStrictEqual(accessPrincipals("gfts", cluster).map(p => [p.id, p.login]), [
            ["default", undefined],
            ["admins/annefou", "annefou"],
            ["admins/minrk", "minrk"],
            ["ifremer-developers/aderrien7", "aderrien7"],
            ["ifremer-users/ifremer-example", "ifremer-example"],
            ["vliz/davidcasalsvliz", "davidcasalsvliz"],
        ]);
    });

    it("evaluates to exactly seed 000's access, with our evaluator", () => {
        const matrix = accessMatrix("gfts", cluster);
        assert.deepStrictEqual(matrix.buckets, BUCKETS);
        const actual = Object.fromEntries(matrix.rows.map(row => [row.principal, {
            levels: BUCKETS.map(b => row.buckets[b]), createBucket: row.createBucket, accessControl: row.accessControl,
        }]));
        assert.deepStrictEqual(actual, SEED_ACCESS);
    });

    it("evaluates the same with iam-simulate, request by request", async () => {
        const creation = createBucketProbe(BUCKETS);
        const operator = { id: OPERATOR_PRINCIPAL, policy: fullControlPolicy(BUCKETS) };
        for (const principal of [operator, ...accessPrincipals("gfts", cluster)]) {
            const levels: string[] = [];
            for (const bucket of BUCKETS) {
                const allowed: string[] = [];
                for (const probe of bucketProbes(bucket)) {
                    const ours = evaluate(principal.policy, probe.action, probe.resource);
                    const theirs = await simulate(principal.policy, probe);
                    assert.strictEqual(ours, theirs, `${principal.id}: ${probe.action} on ${probe.resource}`);
                    if (theirs === "Allowed") allowed.push(probe.action);
                }
                levels.push(accessLevel(allowed));
            }
            assert.deepStrictEqual(levels, SEED_ACCESS[principal.id].levels, principal.id);
            assert.strictEqual(await simulate(principal.policy, creation), SEED_ACCESS[principal.id].createBucket, principal.id);
        }
    });

    it("denies bucket creation and deletion to every non-admin, on any bucket name", async () => {
        for (const principal of accessPrincipals("gfts", cluster).filter(p => p.group !== "admins")) {
            for (const bucket of [...BUCKETS, "not-in-config"]) {
                for (const action of S3_BUCKET_LIFECYCLE_ACTIONS) {
                    const probe = { action, resource: `arn:aws:s3:::${bucket}` };
                    assert.strictEqual(await simulate(principal.policy, probe), "ExplicitlyDenied", `${principal.id} ${action} ${bucket}`);
                    assert.strictEqual(evaluate(principal.policy, probe.action, probe.resource), "ExplicitlyDenied");
                }
            }
        }
    });

    it("denies every non-admin the writes that can publish data (ACLs, bucket policies), on objects and buckets alike", async () => {
        // The GFTS write list allowed s3:PutObjectAcl; on OVH an object ACL overrides the bucket's privacy.
        for (const principal of accessPrincipals("gfts", cluster).filter(p => p.group !== "admins")) {
            for (const bucket of [...BUCKETS, "not-in-config"]) {
                for (const action of S3_ACCESS_CONTROL_ACTIONS) {
                    const resource = /Object/.test(action) ? `arn:aws:s3:::${bucket}/some/key` : `arn:aws:s3:::${bucket}`;
                    assert.strictEqual(await simulate(principal.policy, { action, resource }), "ExplicitlyDenied", `${principal.id} ${action} ${resource}`);
                    assert.strictEqual(evaluate(principal.policy, action, resource), "ExplicitlyDenied");
                }
            }
        }
        const admin = accessPrincipals("gfts", cluster).find(p => p.id === "admins/minrk")!;
        assert.strictEqual(await simulate(admin.policy, { action: "s3:PutObjectAcl", resource: "arn:aws:s3:::gfts-vliz/k" }), "Allowed");
    });

    it("keeps admins to the cluster's buckets", async () => {
        const admin = accessPrincipals("gfts", cluster).find(p => p.id === "admins/minrk")!;
        for (const probe of bucketProbes("another-teams-bucket")) {
            assert.strictEqual(await simulate(admin.policy, probe), "ImplicitlyDenied", probe.action);
        }
    });

    it("uses the GFTS action lists, without ACL writes", () => {
        const vliz = accessPrincipals("gfts", cluster).find(p => p.group === "vliz")!;
        const write = vliz.policy.Statement.find(s => s.Sid === "ReadWrite")!;
        assert.deepStrictEqual([...write.Action].sort(), [
            "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectAcl",
            "s3:GetObjectTagging", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts",
            "s3:PutObject",
        ]);
        assert.deepStrictEqual(vliz.policy.Statement.filter(s => s.Effect === "Deny").map(s => [s.Sid, [...s.Action].sort(), s.Resource]), [
            ["DenyBucketCreateDelete", ["s3:CreateBucket", "s3:DeleteBucket"], ["arn:aws:s3:::*"]],
            ["DenyAclAndPolicyWrites", ["s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"], ["arn:aws:s3:::*"]],
        ]);
        assert.deepStrictEqual(write.Resource, ["arn:aws:s3:::gfts-vliz", "arn:aws:s3:::gfts-vliz/*"]);
        const read = vliz.policy.Statement.find(s => s.Sid === "ReadOnly")!;
        assert.deepStrictEqual([...read.Action].sort(), ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]);
    });

    it("changes nothing for other users when a user is added, or members are reordered", () => {
        const before = accessPrincipals("gfts", cluster);
        const after = accessPrincipals("gfts", seedCluster(c => {
            c.gfts.accessGroups.vliz.members = ["newlogin", "davidcasalsvliz"];
            c.gfts.accessGroups.admins.members = ["minrk", "annefou"];
        }));
        assert.deepStrictEqual(after.filter(p => p.login !== "newlogin"), before);
        assert.deepStrictEqual(after.find(p => p.login === "newlogin")?.policy, before.find(p => p.group === "vliz")?.policy);
    });

    it("puts a new group's private bucket in the admins' policy and nobody else's", () => {
        const matrix = accessMatrix("gfts", seedCluster(c => {
            c.gfts.buckets["gfts-newgroup"] = {};
            c.gfts.accessGroups.newgroup = { members: ["login1"], write: ["gfts-newgroup"] };
        }));
        const column = Object.fromEntries(matrix.rows.map(r => [r.principal, r.buckets["gfts-newgroup"]]));
        assert.deepStrictEqual(column, {
            [OPERATOR_PRINCIPAL]: "admin", "default": "none", "admins/annefou": "admin", "admins/minrk": "admin", "ifremer-developers/aderrien7": "none",
            "ifremer-users/ifremer-example": "none", "newgroup/login1": "write", "vliz/davidcasalsvliz": "none",
        });
    });
});

describe("ovh access: bad input", () => {
    function problemsOf(edit: (raw: any) => void): string[] {
        const { raw, secretKeys } = rawFromStackText(docsStackWithSecret());
        edit(raw);
        try {
            parseFleetConfig(raw, { stack: "prod", secretKeys });
        } catch (error) {
            assert.ok(error instanceof FleetConfigError, String(error));
            return [...error.problems];
        }
        return [];
    }
    const expectProblem = (problems: string[], pattern: RegExp) =>
        assert.ok(problems.some(p => pattern.test(p)), `no problem matches ${pattern}; got:\n${problems.join("\n")}`);

    it("refuses a member in two groups, naming both", () => {
        const problems = problemsOf(raw => { raw.clusters.gfts.accessGroups["ifremer-users"].members = ["aderrien7"]; });
        expectProblem(problems, /^clusters\.gfts\.accessGroups\.(ifremer-users|ifremer-developers)\.members\[0\]: aderrien7 is already in group (ifremer-users|ifremer-developers), and OVH keeps one policy per user/);
    });

    it("refuses a login that is not a lowercase GitHub username", () => {
        const problems = problemsOf(raw => { raw.clusters.gfts.accessGroups.vliz.members.push("David_Casals", "-dash"); });
        expectProblem(problems, /^clusters\.gfts\.accessGroups\.vliz\.members\[\d\]: "David_Casals" is not a valid lowercase GitHub username/);
        expectProblem(problems, /^clusters\.gfts\.accessGroups\.vliz\.members\[\d\]: "-dash" is not a valid lowercase GitHub username/);
    });

    it("refuses access groups on a cluster that cannot honour them", () => {
        const problems = problemsOf(raw => {
            raw.clusters.lab = {
                provider: "kubernetes", context: "lab", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/homes" },
                accessGroups: { default: { read: [] } },
            };
        });
        expectProblem(problems, /^clusters\.lab\.accessGroups: .*accessGroups applies to ovh clusters only, and this cluster is kubernetes/);
    });

    it("refuses bucket names OVH would refuse: bad characters, length, IP addresses", () => {
        const problems = problemsOf(raw => {
            Object.assign(raw.clusters.gfts.buckets, { "GFTS_Upper": {}, "ab": {}, "192.168.1.1": {}, "gfts-ok": {} });
        });
        for (const name of ["GFTS_Upper", "ab"]) {
            expectProblem(problems, new RegExp(`^clusters\\.gfts\\.buckets\\.${name}: bucket name "${name}" is not allowed by the cloud`));
        }
        expectProblem(problems, /^clusters\.gfts\.buckets\["192\.168\.1\.1"\]: bucket name "192\.168\.1\.1" is not allowed by the cloud \(.*not an IP address/);
        assert.ok(!problems.some(p => p.includes("gfts-ok")), problems.join("\n"));
    });
});

describe("ovh access: report (npm run access)", () => {
    it("prints the seed fleet's table", () => {
        assert.strictEqual(renderAccessTables(fleetAccess(seedFleet())), [
            "cluster gfts",
            "user              group               destine-gfts-data-lake  gfts-ifremer  gfts-reference-data  gfts-vliz  new buckets  ACLs, bucket policies",
            "----------------  ------------------  ----------------------  ------------  -------------------  ---------  -----------  ---------------------",
            "(fleet operator)  -                   admin                   admin         admin                admin      not allowed  allowed (can publish)",
            "(everyone else)   default             read                    none          read                 none       denied       denied",
            "annefou           admins              admin                   admin         admin                admin      not allowed  allowed (can publish)",
            "minrk             admins              admin                   admin         admin                admin      not allowed  allowed (can publish)",
            "aderrien7         ifremer-developers  read                    write         write                none       denied       denied",
            "ifremer-example   ifremer-users       read                    write         read                 none       denied       denied",
            "davidcasalsvliz   vliz                read                    none          read                 write      denied       denied",
            "",
        ].join("\n"));
    });

    it("answers who can write gfts-vliz", () => {
        const [matrix] = fleetAccess(seedFleet(), { bucket: "gfts-vliz" });
        assert.deepStrictEqual(matrix.buckets, ["gfts-vliz"]);
        const writers = matrix.rows.filter(r => r.buckets["gfts-vliz"] === "write" || r.buckets["gfts-vliz"] === "admin").map(r => r.login);
        assert.deepStrictEqual(writers, [undefined, "annefou", "minrk", "davidcasalsvliz"], "the operator, the admins and vliz");
        assert.throws(() => fleetAccess(seedFleet(), { bucket: "gfts-vlz" }), /no OVH cluster in this stack has a bucket named or keyed "gfts-vlz"/);
    });

    it("runs from a stack file, as a table or JSON, and fails clearly on a bad stack", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-access-"));
        fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), docsStackWithSecret());
        const run = (argv: string[]) => {
            const out: string[] = [];
            const err: string[] = [];
            const [stdout, stderr] = [process.stdout.write, process.stderr.write];
            process.stdout.write = ((s: string) => out.push(s)) as any;
            process.stderr.write = ((s: string) => err.push(s)) as any;
            try {
                return { code: main(argv, dir), out: out.join(""), err: err.join("") };
            } finally {
                process.stdout.write = stdout;
                process.stderr.write = stderr;
            }
        };
        const table = run(["--stack", "prod", "--bucket", "gfts-vliz"]);
        assert.strictEqual(table.code, 0, table.err);
        assert.match(table.out, /^davidcasalsvliz +vliz +write +denied +denied$/m);
        assert.match(table.out, /^aderrien7 +ifremer-developers +none +denied +denied$/m);
        const json = run(["--stack", "prod", "--json"]);
        assert.strictEqual(JSON.parse(json.out)[0].rows.find((r: any) => r.login === "aderrien7").buckets["gfts-ifremer"], "write");
        assert.strictEqual(run(["--stack", "staging"]).code, 1);
        assert.strictEqual(run(["--stak", "prod"]).code, 2);
        fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), docsStackWithSecret().replace("write: [gfts-vliz]", "write: [gfts-vlz]"));
        const bad = run(["--stack", "bad"]);
        assert.strictEqual(bad.code, 1);
        assert.match(bad.err, /clusters\.gfts\.accessGroups\.vliz\.write\[0\]: no bucket "gfts-vlz" on this cluster \(did you mean gfts-vliz\?\)/);
    });
});

describe("ovh docs: the GFTS fleet snippet", () => {
    it("parses with parseFleetConfig once the client secret is set as documented", () => {
        const { raw, secretKeys } = rawFromStackText(docsStackWithSecret());
        const fleet = parseFleetConfig(raw, { stack: "prod", secretKeys });
        const gfts = fleet.clusters.gfts as OvhClusterSpec;
        assert.strictEqual(gfts.provider, "ovh");
        assert.strictEqual(gfts.region, "GRA11");
        assert.strictEqual(gfts.s3.region, "gra");
        assert.deepStrictEqual(gfts.homeStorage, { type: "dynamic", size: "100Gi" });
        assert.deepStrictEqual(Object.keys(gfts.accessGroups ?? {}).sort(),
            ["admins", "default", "ifremer-developers", "ifremer-users", "vliz"]);
        assert.strictEqual(fleet.hubs.gfts.auth.type, "github");
    });

    it("fails only for the missing client secret when pasted as is", () => {
        const { raw, secretKeys } = rawFromStackText(docsStackText());
        assert.throws(() => parseFleetConfig(raw, { stack: "prod", secretKeys }), (error: unknown) => {
            assert.ok(error instanceof FleetConfigError);
            assert.deepStrictEqual(error.problems.map(p => p.split(":")[0]), ["hubSecrets.gfts.auth.clientSecret"]);
            return true;
        });
    });

    it("is valid YAML as a whole stack file", () => {
        const document = parseYaml(docsStackText()) as { config: Record<string, unknown> };
        assert.deepStrictEqual(Object.keys(document.config), ["jupyterhub-fleet:clusters", "jupyterhub-fleet:hubs"]);
    });
});
