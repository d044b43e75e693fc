import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { listStacks, parseStackFile, placeholderFor, readStackFile } from "../scripts/stackConfig";
import { CONFIG_NAMESPACE, parseFleetConfig } from "../components/config";

const ROOT = path.join(__dirname, "..");
/** The example stacks' passphrase, documented in README.md ("Secrets"). */
const EXAMPLE_PASSPHRASE = "jupyterhub-fleet-example";

/** Pulumi's passphrase provider: PBKDF2-SHA256 (1e6 rounds, salt from `encryptionsalt`), then AES-256-GCM. */
function passphraseKey(passphrase: string, encryptionSalt: string): Buffer {
    return crypto.pbkdf2Sync(passphrase, Buffer.from(encryptionSalt.split(":")[1], "base64"), 1_000_000, 32, "sha256");
}

function decrypt(key: Buffer, ciphertext: string): string {
    const [version, nonce, sealed] = ciphertext.split(":");
    assert.strictEqual(version, "v1");
    const bytes = Buffer.from(sealed, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
}

function encrypt(key: Buffer, plaintext: string): string {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
}

function secureLeaves(value: unknown, at: string[] = []): [string, string][] {
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (Object.keys(record).length === 1 && typeof record.secure === "string") return [[at.join("."), record.secure]];
        return Object.entries(record).flatMap(([k, v]) => secureLeaves(v, [...at, k]));
    }
    return [];
}

const EXAMPLE_SECRETS = "holds secrets the documented example passphrase decrypts";

/**
 * Decrypts a stack file's secrets with the example passphrase. A stack moved to its own secrets provider
 * as README.md ("Secrets") advises (`pulumi stack change-secrets-provider` writes `secretsprovider` and
 * `encryptedkey`, or a new `encryptionsalt` for a new passphrase) cannot be decrypted here: its secrets'
 * shape is checked instead. Returns what was checked.
 */
function checkStackSecrets(text: string): string {
    const document = parseYaml(text);
    const leaves = secureLeaves(document.config);
    const ownProvider = (): string | undefined => {
        if (typeof document.secretsprovider === "string" && document.secretsprovider !== "passphrase") {
            return document.secretsprovider.replace(/\?.*$/, "");
        }
        if (typeof document.encryptionsalt !== "string") return "the Pulumi Cloud service";
        return undefined;
    };
    let own = leaves.length ? ownProvider() : undefined;
    const key = leaves.length && !own ? passphraseKey(EXAMPLE_PASSPHRASE, document.encryptionsalt) : undefined;
    if (key) {
        try {
            // The salt carries "pulumi" encrypted with the stack's key: it tells whether the passphrase is right.
            assert.strictEqual(decrypt(key, document.encryptionsalt.split(":").slice(2).join(":")), "pulumi");
        } catch {
            own = "a passphrase of its own";
        }
    }
    if (own) {
        assert.deepStrictEqual(parseStackFile(text).problems, []);
        return `holds secrets of its own secrets provider (${own}): their shape is checked, not their plaintext, which the example passphrase cannot decrypt`;
    }
    for (const [where, ciphertext] of leaves) {
        assert.ok(decrypt(key!, ciphertext).length > 0, `${where} is empty`);
    }
    return EXAMPLE_SECRETS;
}

describe("example stack files", () => {
    for (const stack of listStacks(ROOT)) {
        describe(`Pulumi.${stack}.yaml`, () => {
            const text = () => fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");

            it("validates against the config schema", () => {
                const { config, secretKeys } = readStackFile(stack, ROOT);
                const raw = Object.fromEntries(Object.entries(config)
                    .filter(([key]) => key.startsWith(`${CONFIG_NAMESPACE}:`))
                    .map(([key, value]) => [key.slice(CONFIG_NAMESPACE.length + 1), JSON.parse(value)]));
                const fleet = parseFleetConfig(raw, { stack, secretKeys: secretKeys.map(k => k.slice(CONFIG_NAMESPACE.length + 1)) });
                assert.ok(Object.keys(fleet.hubs).length > 0);
            });

            it("holds every secret as ciphertext, and every value under hubSecrets and clusterSecrets encrypted", () => {
                assert.deepStrictEqual(parseStackFile(text()).problems, []);
            });

            it(EXAMPLE_SECRETS, function () {
                const checked = checkStackSecrets(text());
                if (checked !== EXAMPLE_SECRETS) this.test!.title = checked;
            });
        });
    }
});

describe("a stack moved to its own secrets provider (README.md, Secrets)", () => {
    const staging = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    const salt = /^encryptionsalt: (.*)$/m.exec(staging)![1];

    it("to a cloud KMS key: its secrets' shape is checked, not their plaintext", () => {
        const moved = staging.replace(/^encryptionsalt: .*$/m,
            "secretsprovider: awskms://alias/jupyterhub-fleet?region=us-west-2\nencryptedkey: AQICAHhExampleDataKeyExampleDataKeyExample==");
        assert.match(checkStackSecrets(moved), /^holds secrets of its own secrets provider \(awskms:\/\/alias\/jupyterhub-fleet\)/);
        assert.throws(() => checkStackSecrets(moved.replace(/secure: v1:[^\n]*/, "secure: not-ciphertext")), /not ciphertext/);
    });

    it("to a new passphrase: detected from the salt, and its secrets' shape checked", () => {
        // Any key but the example passphrase's: a random one stands for the operator's passphrase.
        const key = crypto.randomBytes(32);
        const moved = staging.replace(salt, `v1:${crypto.randomBytes(8).toString("base64")}:${encrypt(key, "pulumi")}`)
            .replace(/secure: (v1:[^\n]*)/g, () => `secure: ${encrypt(key, "re-encrypted")}`);
        assert.match(checkStackSecrets(moved), /^holds secrets of its own secrets provider \(a passphrase of its own\)/);
    });
});

describe("stack file reader", () => {
    it("resolves YAML merge keys, as the Pulumi CLI does", () => {
        const { config } = parseStackFile([
            "config:",
            "  jupyterhub-fleet:clusters:",
            "    a: &cluster { provider: aws, region: us-west-2, nodePools: { core: { machineType: r5.large, minNodes: 1, maxNodes: 2 } } }",
            "    b:",
            "      <<: *cluster",
            "      region: us-east-1",
        ].join("\n"));
        assert.deepStrictEqual(JSON.parse(config["jupyterhub-fleet:clusters"]).b,
            { provider: "aws", region: "us-east-1", nodePools: { core: { machineType: "r5.large", minNodes: 1, maxNodes: 2 } } });
    });

    it("refuses a secure: value that is not ciphertext, and accepts both ciphertext shapes", () => {
        const { problems } = parseStackFile([
            "config:",
            "  jupyterhub-fleet:hubSecrets:",
            "    a: { auth: { clientSecret: { secure: my-client-secret } } }",
            "    b: { auth: { clientSecret: { secure: \"v1:AAAA\" } } }",
            "    c: { auth: { clientSecret: { secure: \"v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\" } } }",
            "    d: { auth: { clientSecret: { secure: AAABAHc2dW9Zb3pMQ0V5Q1R6dGJNa3F6 } } }",
        ].join("\n"));
        assert.deepStrictEqual(problems, ["a", "b"].map(hub => `hubSecrets.${hub}.auth.clientSecret: the secure: value is not ciphertext ` +
            `(set it with pulumi config set --secret --path 'hubSecrets.${hub}.auth.clientSecret' '<value>', which encrypts it)`));
    });
});

describe("stack file reader: secrets", () => {
    it("refuses a plain value under hubSecrets, hubSecretDefaults or clusterSecrets, even beside encrypted ones", () => {
        const { problems } = parseStackFile([
            "config:",
            "  jupyterhub-fleet:hubSecrets:",
            "    a:",
            "      auth: { clientSecret: { secure: \"v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\" } }",
            "      database: { url: \"postgresql://hub:hunter2@db:5432/hub\" }",
            "  jupyterhub-fleet:hubSecretDefaults:",
            "    values: { imagePullSecret: { password: hunter2 } }",
            "  jupyterhub-fleet:clusterSecrets:",
            "    onprem: { kubeconfig: \"apiVersion: v1\" }",
        ].join("\n"));
        assert.deepStrictEqual(problems, [
            "hubSecrets.a.database.url: is plain text in the stack file, and everything under hubSecrets must be encrypted " +
            "(delete the line and run pulumi config set --secret --path 'hubSecrets.a.database.url' '<value>')",
            "hubSecretDefaults.values.imagePullSecret.password: is plain text in the stack file, and everything under hubSecretDefaults must be encrypted " +
            "(delete the line and run pulumi config set --secret --path 'hubSecretDefaults.values.imagePullSecret.password' '<value>')",
            "clusterSecrets.onprem.kubeconfig: is plain text in the stack file, and everything under clusterSecrets must be encrypted " +
            "(delete the line and run pulumi config set --secret --path 'clusterSecrets.onprem.kubeconfig' '<value>')",
        ]);
    });

    it("plans the documented Valeria setup offline: a kubeconfig in clusterSecrets with a context", () => {
        const markdown = fs.readFileSync(path.join(ROOT, "docs", "existing-clusters.md"), "utf8");
        const section = markdown.split(/^## /m).find(s => s.startsWith("Valeria"))!;
        const snippet = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]).find(block => block.startsWith("config:"))!;
        assert.match(snippet, /context: valeria-admin/);
        // What `pulumi config set --secret --path …` adds for the three documented secrets.
        const ciphertext = "{ secure: \"v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\" }";
        const stack = parseStackFile(snippet + [
            "  jupyterhub-fleet:clusterSecrets:",
            `    valeria: { kubeconfig: ${ciphertext} }`,
            "  jupyterhub-fleet:hubSecrets:",
            `    valeria: { auth: { clientSecret: ${ciphertext} }, database: { url: ${ciphertext} } }`,
        ].join("\n"));
        assert.deepStrictEqual(stack.problems, []);
        const raw = Object.fromEntries(Object.entries(stack.config).map(([key, value]) => [key.slice(CONFIG_NAMESPACE.length + 1), JSON.parse(value)]));
        const fleet = parseFleetConfig(raw, { stack: "valeria", secretKeys: ["hubSecrets", "clusterSecrets"] });
        assert.ok(fleet.clusterSecrets.valeria.kubeconfig!.includes("valeria-admin"));
        // The plan finds a kubeconfig placeholder in its output by placeholderFor's text.
        assert.ok(fleet.clusterSecrets.valeria.kubeconfig!.startsWith(placeholderFor("clusterSecrets.valeria.kubeconfig")));
    });
});
