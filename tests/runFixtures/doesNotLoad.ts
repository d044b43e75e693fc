// Throws while loading, before mocha sees any test.
throw new Error("this file does not load");
