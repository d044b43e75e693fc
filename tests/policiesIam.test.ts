/**
 * The pack's IAM evaluator against a full one, and the `iam-no-wildcard-grants` rule on the bypasses a
 * string-matching rule let through (issue 17: `"S3:*"`, `"s*:*"`, `arn:aws:s3:::*`, NotAction, NotResource,
 * `iam:PassRole`), beside the narrow documents it must keep passing (the README's cross-account grant and
 * the fleet's own documents).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { ResourceFacts } from "../policies/rules/common";
import { OTHER_BUCKET, broadGrants, iamNoWildcardGrants, irsaTrustPinned } from "../policies/rules/iam";
import { Decision, PolicyStatement, Request, decide } from "../policies/rules/iamEvaluator";
import { bucketPolicy, clusterAutoscalerPolicy, hubBucketAccessPolicy, irsaTrustPolicy } from "../components/aws/policies";

const ACCOUNT = "123456789012";

/** iam-simulate's decision for one identity policy and one request, no context keys. */
async function simulate(statements: readonly PolicyStatement[], request: Request): Promise<Decision> {
    const response = await runSimulation({
        identityPolicies: [{ name: "hub", policy: { Version: "2012-10-17", Statement: statements } }],
        serviceControlPolicies: [], resourceControlPolicies: [],
        request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/hub`, action: request.action,
            resource: { resource: request.resource, accountId: ACCOUNT }, contextVariables: {},
        },
    }, {});
    if (response.resultType !== "single") throw new Error(`iam-simulate: ${JSON.stringify(response)}`);
    return response.overallResult as Decision;
}

/** The policy resource `extraIamPolicy` becomes (components/aws/hubIdentity.ts). */
function extraPolicy(statements: readonly PolicyStatement[]): ResourceFacts {
    return {
        type: "aws:iam/policy:Policy", name: "uw2-hub-research-extra", protect: false,
        urn: "urn:pulumi:prod::jupyterhub-fleet::aws:iam/policy:Policy::uw2-hub-research-extra",
        props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
    };
}

/** The README's cross-account `extraIamPolicy`, with the placeholder bucket filled in. */
function readmeCrossAccountStatements(): PolicyStatement[] {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]).find(b => b.includes("extraIamPolicy:"));
    assert.ok(block, "README.md has no yaml block with extraIamPolicy");
    const parsed = parseYaml(block.replace(/<their-bucket>/g, "partner-climate-data"));
    return parsed.cloudAccess.extraIamPolicy.Statement;
}

describe("IAM evaluator", () => {
    const BUCKET = "arn:aws:s3:::data";
    const documents: Record<string, PolicyStatement[]> = {
        "case of actions": [{ Effect: "Allow", Action: ["S3:GETOBJECT", "s3:listbucket"], Resource: [BUCKET, `${BUCKET}/*`] }],
        "action wildcards": [{ Effect: "Allow", Action: ["s3:Get*", "s3:?utObject"], Resource: `${BUCKET}/*` }],
        "resource wildcards and case": [{ Effect: "Allow", Action: "s3:*", Resource: ["arn:aws:s3:::da?a/in/*", "arn:AWS:S3:::Data"] }],
        "every bucket": [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::*" }],
        "short ARN": [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3" }],
        "NotAction": [{ Effect: "Allow", NotAction: ["iam:*", "s3:Delete*"], Resource: "*" }],
        "NotResource": [{ Effect: "Allow", Action: "s3:GetObject", NotResource: `${BUCKET}/private/*` }],
        "Deny beats Allow": [
            { Effect: "Deny", Action: "s3:*", Resource: `${BUCKET}/secret/*` },
            { Effect: "Allow", Action: "s3:*", Resource: "*" },
        ],
        "Deny with NotResource": [
            { Effect: "Allow", Action: ["s3:*", "iam:PassRole"], Resource: "*" },
            { Effect: "Deny", Action: "*", NotResource: [BUCKET, `${BUCKET}/*`] },
        ],
        "roles by wildcard": [{ Effect: "Allow", Action: ["iam:PassRole", "sts:AssumeRole"], Resource: `arn:aws:iam::*:role/hub-*` }],
    };
    const requests: Request[] = [
        { action: "s3:GetObject", resource: `${BUCKET}/in/x.nc` },
        { action: "s3:GetObject", resource: `${BUCKET}/secret/x` },
        { action: "s3:GetObject", resource: `${BUCKET}/private/x` },
        { action: "s3:GetObject", resource: "arn:aws:s3:::Data/x" },
        { action: "s3:PutObject", resource: `${BUCKET}/in/x.nc` },
        { action: "s3:DeleteObject", resource: `${BUCKET}/in/x.nc` },
        { action: "s3:ListBucket", resource: BUCKET },
        { action: "s3:ListBucket", resource: "arn:aws:s3:::Data" },
        { action: "s3:DeleteBucket", resource: `arn:aws:s3:::${OTHER_BUCKET}` },
        { action: "s3:GetObject", resource: `arn:aws:s3:::${OTHER_BUCKET}/x` },
        { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/hub-admin` },
        { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/other` },
        { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/hub-admin` },
        { action: "ec2:TerminateInstances", resource: `arn:aws:ec2:us-west-2:${ACCOUNT}:instance/i-0123456789abcdef0` },
    ];

    it("decides every request as iam-simulate does (documents without conditions or variables)", async () => {
        const differences: string[] = [];
        for (const [name, statements] of Object.entries(documents)) {
            for (const request of requests) {
                const [ours, theirs] = [decide(statements, request), await simulate(statements, request)];
                if (ours !== theirs) differences.push(`${name}: ${request.action} on ${request.resource}: ours ${ours}, iam-simulate ${theirs}`);
            }
        }
        assert.deepStrictEqual(differences, []);
    });

    it("answers the worst case where the document leaves it to the request's context", () => {
        const request = { action: "s3:GetObject", resource: `arn:aws:s3:::${OTHER_BUCKET}/x` };
        const conditional = { StringEquals: { "aws:PrincipalTag/team": "climate" } };
        assert.strictEqual(decide([{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: conditional }], request), "Allowed");
        assert.strictEqual(decide([
            { Effect: "Allow", Action: "s3:*", Resource: "*" },
            { Effect: "Deny", Action: "s3:*", Resource: "*", Condition: conditional },
        ], request), "Allowed", "a conditional Deny may not apply");
        assert.strictEqual(decide([{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::${aws:PrincipalTag/bucket}/*" }], request),
            "Allowed", "a policy variable may name any bucket");
        assert.strictEqual(decide([
            { Effect: "Allow", Action: "s3:*", Resource: "*" },
            { Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::${aws:PrincipalTag/bucket}/*" },
        ], request), "Allowed", "a Deny through a variable may miss");
        // iam-simulate refuses a wildcard in a service prefix as invalid; an Allow is read as if IAM took it.
        assert.strictEqual(decide([{ Effect: "Allow", Action: "s*:*", Resource: "*" }], request), "Allowed");
        assert.strictEqual(decide([{ Effect: "Allow", Action: "s3:*", Resource: "*" }, { Effect: "Deny", Action: "s*:*", Resource: "*" }], request), "Allowed");
        // IAM ignores a wildcard in an ARN's resource type (iam-simulate: no match); an Allow may still mean it.
        const role = { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/x` };
        assert.strictEqual(decide([{ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::*:r*le/*" }], role), "Allowed");
        assert.strictEqual(decide([{ Effect: "Allow", Action: "iam:PassRole", Resource: "*" },
            { Effect: "Deny", Action: "iam:PassRole", Resource: "arn:aws:iam::*:r*le/*" }], role), "Allowed");
        assert.strictEqual(decide([{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::${*}/x" }], request), "ImplicitlyDenied",
            "${*} is a literal asterisk");
    });
});

describe("iam-no-wildcard-grants", () => {
    const bypasses: Record<string, { statements: PolicyStatement[]; grant: string }> = {
        "S3:* on *": { statements: [{ Effect: "Allow", Action: "S3:*", Resource: "*" }], grant: "every action of s3" },
        "s*:* on *": { statements: [{ Effect: "Allow", Action: "s*:*", Resource: "*" }], grant: "every action of s3, secretsmanager" },
        "reads of arn:aws:s3:::*": {
            statements: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::*"] }],
            grant: `s3:GetObject on arn:aws:s3:::${OTHER_BUCKET}/`,
        },
        "s3:* on arn:aws:s3:::*": { statements: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::*" }], grant: "every action of s3" },
        "buckets by prefix": {
            statements: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::uw2-*/*" }],
            grant: "s3:PutObject on arn:aws:s3:::uw2-fleet-policy-probe/",
        },
        "a China-partition wildcard": {
            statements: [{ Effect: "Allow", Action: "s3:DeleteBucket", Resource: "arn:aws-cn:s3:::*" }],
            grant: `s3:DeleteBucket on arn:aws-cn:s3:::${OTHER_BUCKET}`,
        },
        "NotAction": { statements: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }], grant: "every action" },
        "NotResource": {
            statements: [{ Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::uw2-scratch/*" }],
            grant: `s3:GetObject on arn:aws:s3:::${OTHER_BUCKET}/`,
        },
        "iam:PassRole on *": {
            statements: [{ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }],
            grant: "iam:PassRole on arn:aws:iam::000000000000:role/fleet-policy-probe (a role it does not name)",
        },
        "iam:* on *": { statements: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }], grant: "every action of iam" },
        "sts:AssumeRole on every role": {
            statements: [{ Effect: "Allow", Action: "sts:assumerole", Resource: "arn:aws:iam::*:role/*" }],
            grant: "sts:AssumeRole on arn:aws:iam::000000000000:role/fleet-policy-probe",
        },
        "every action on a named bucket": {
            statements: [{ Effect: "Allow", Action: "*", Resource: ["arn:aws:s3:::uw2-scratch"] }],
            grant: "every action, e.g. fleetprobe:FleetPolicyProbe on arn:aws:s3:::uw2-scratch",
        },
        "a Deny that misses": {
            statements: [
                { Effect: "Allow", Action: "s3:*", Resource: "*" },
                { Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::uw2-*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
            ],
            grant: "every action of s3",
        },
    };
    for (const [name, { statements, grant }] of Object.entries(bypasses)) {
        it(`refuses ${name}`, () => {
            const messages = iamNoWildcardGrants.check(extraPolicy(statements), {});
            assert.strictEqual(messages.length, 1, JSON.stringify(messages));
            assert.ok(messages[0].includes('Policy "uw2-hub-research-extra"') && messages[0].includes(grant), messages[0]);
            assert.ok(messages[0].includes("list the actions it needs and name each resource"), messages[0]);
        });
    }

    it("passes the README's cross-account grant", () => {
        const statements = readmeCrossAccountStatements();
        assert.deepStrictEqual(iamNoWildcardGrants.check(extraPolicy(statements), {}), []);
        assert.strictEqual(decide(statements, { action: "s3:GetObject", resource: "arn:aws:s3:::partner-climate-data/era5/x.nc" }), "Allowed");
    });

    it("passes other narrow grants: named roles, describe calls, everything denied outside named buckets", () => {
        const narrow: PolicyStatement[][] = [
            [{ Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${ACCOUNT}:role/sagemaker-execution` }],
            [{ Effect: "Allow", Action: ["ec2:Describe*", "eks:DescribeCluster"], Resource: "*" }],
            [{ Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::gfts-vliz", "arn:aws:s3:::gfts-vliz/*"] }],
            [
                { Effect: "Allow", Action: "s3:*", Resource: "*" },
                { Effect: "Deny", Action: "*", NotResource: ["arn:aws:s3:::uw2-scratch", "arn:aws:s3:::uw2-scratch/*"] },
            ],
        ];
        for (const statements of narrow) assert.deepStrictEqual(broadGrants(statements), [], JSON.stringify(statements));
    });

    it("passes the fleet's own AWS documents", () => {
        const bucket = "arn:aws:s3:::uw2-scratch";
        const role = `arn:aws:iam::${ACCOUNT}:role/uw2-hub-research`;
        for (const document of [
            hubBucketAccessPolicy([{ bucketArn: bucket, access: "admin" }, { bucketArn: "arn:aws:s3:::uw2-persistent", access: "readonly" }]),
            bucketPolicy(bucket, [{ principalArn: role, access: "admin" }]),
            clusterAutoscalerPolicy("uw2"),
        ]) {
            assert.deepStrictEqual(broadGrants(JSON.parse(document).Statement), [], document);
        }
    });
});

describe("irsa-trust-pinned reads actions as IAM does", () => {
    it("checks a web-identity trust written in another case or with a wildcard", () => {
        const issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE";
        for (const action of ["STS:AssumeRoleWithWebIdentity", "sts:AssumeRoleWith*"]) {
            const trust = JSON.parse(irsaTrustPolicy(`arn:aws:iam::${ACCOUNT}:oidc-provider/x`, issuer, "research", "user-sa"));
            trust.Statement[0].Action = action;
            delete trust.Statement[0].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud"];
            const role: ResourceFacts = {
                type: "aws:iam/role:Role", name: "uw2-hub-research-role", protect: false,
                urn: "urn:pulumi:prod::jupyterhub-fleet::aws:iam/role:Role::uw2-hub-research-role", props: { assumeRolePolicy: JSON.stringify(trust) },
            };
            const messages = irsaTrustPinned.check(role, {});
            assert.strictEqual(messages.length, 1, `${action}: ${JSON.stringify(messages)}`);
            assert.ok(messages[0].includes("sts.amazonaws.com"), messages[0]);
        }
    });
});
