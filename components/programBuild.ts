import * as fs from "fs";
import * as path from "path";

/**
 * Pulumi runs the compiled program (Pulumi.yaml `main: bin/index.js`): previews take about 40% of the
 * time they take through ts-node (see `npm run bench`). A compiled program older than its sources would
 * deploy yesterday's code, so it refuses to run until rebuilt.
 */

/** Sources of the program, relative to `sourceRoot`: what `npm run build` compiles. */
function programSources(sourceRoot: string): string[] {
    const sources = ["index.ts"];
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(path.join(sourceRoot, dir), { withFileTypes: true })) {
            const relative = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(relative);
            // JSON data (the chart schemas in components/config/charts) is compiled into bin/ too.
            else if ((entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) || entry.name.endsWith(".json")) sources.push(relative);
        }
    };
    walk("components");
    return sources.filter(source => fs.existsSync(path.join(sourceRoot, source)));
}

/** Sources under `sourceRoot` changed after `compiledEntry` was written, oldest path first. */
export function staleSources(compiledEntry: string, sourceRoot: string): string[] {
    const builtAt = fs.statSync(compiledEntry).mtimeMs;
    return programSources(sourceRoot).filter(source => fs.statSync(path.join(sourceRoot, source)).mtimeMs > builtAt).sort();
}

/**
 * Throws when `entryFile` is the compiled program (bin/index.js) and a source is newer. Through ts-node
 * (`entryFile` is index.ts) there is nothing to check.
 */
export function assertCompiledProgramCurrent(entryFile: string): void {
    if (!entryFile.endsWith(".js")) return;
    const stale = staleSources(entryFile, path.resolve(path.dirname(entryFile), ".."));
    if (stale.length > 0) {
        const shown = stale.length > 3 ? `${stale.slice(0, 3).join(", ")} and ${stale.length - 3} more` : stale.join(", ");
        throw new Error(`The compiled program in bin/ is older than ${shown}: run \`npm run build\` and try again ` +
            "(Pulumi.yaml runs bin/index.js, compiled from the TypeScript sources).");
    }
}
