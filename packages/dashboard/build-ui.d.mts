/** Writes index.html, style.css and app.js to `outDir` and returns it. */
export function buildUi(outDir: string): Promise<string>;
