/**
 * Pulumi runs the compiled program: Pulumi.yaml points at what `npm run build` writes, and a compiled
 * program older than its sources refuses to run.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { assertCompiledProgramCurrent, staleSources } from "../components/programBuild";

const ROOT = path.join(__dirname, "..");

describe("compiled program", () => {
    it("Pulumi.yaml runs bin/index.js without ts-node, and the build writes it from index.ts", () => {
        const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.strictEqual(project.main, "bin/index.js");
        assert.strictEqual(project.runtime.options.typescript, false);
        const build = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8"));
        assert.deepStrictEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], [".", "bin"]);
        assert.ok(build.include.includes("index.ts") && build.include.includes("components/**/*.ts"));
        assert.strictEqual(build.compilerOptions.noEmitOnError, true, "a failed build must not leave a half-new bin/");
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.strictEqual(pkg.scripts.build, "tsc -p tsconfig.build.json");
    });

    describe("freshness", () => {
        let root: string;
        const write = (file: string, mtime: number) => {
            const full = path.join(root, file);
            fs.mkdirSync(path.dirname(full), { recursive: true });
            fs.writeFileSync(full, "// source\n");
            fs.utimesSync(full, mtime, mtime);
        };
        const builtAt = 1_700_000_000;

        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-build-"));
            write("bin/index.js", builtAt);
            write("index.ts", builtAt - 60);
            write("components/hub.ts", builtAt - 60);
            write("components/aws/cluster.ts", builtAt - 60);
            write("components/types.d.ts", builtAt + 60);
            write("tests/hub.test.ts", builtAt + 60);
        });
        afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

        it("passes when every program source is older than the build (tests and declarations do not count)", () => {
            assert.deepStrictEqual(staleSources(path.join(root, "bin/index.js"), root), []);
            assert.doesNotThrow(() => assertCompiledProgramCurrent(path.join(root, "bin/index.js")));
        });

        it("names the sources changed since the build and says to rebuild", () => {
            write("components/aws/cluster.ts", builtAt + 5);
            write("index.ts", builtAt + 5);
            assert.deepStrictEqual(staleSources(path.join(root, "bin/index.js"), root), [path.join("components", "aws", "cluster.ts"), "index.ts"]);
            assert.throws(() => assertCompiledProgramCurrent(path.join(root, "bin/index.js")),
                (error: Error) => error.message === "The compiled program in bin/ is older than " +
                    `${path.join("components", "aws", "cluster.ts")}, index.ts: run \`npm run build\` and try again ` +
                    "(Pulumi.yaml runs bin/index.js, compiled from the TypeScript sources).");
        });

        it("does not check when the program runs from its TypeScript sources", () => {
            write("components/hub.ts", builtAt + 5);
            assert.doesNotThrow(() => assertCompiledProgramCurrent(path.join(root, "index.ts")));
        });
    });
});
