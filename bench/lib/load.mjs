// Loads packyard's compiled packages for a benchmark, or exits 2 saying what to compile first.
export async function loadCompiled(packages, compile) {
  try {
    return await Promise.all(packages.map((name) => import(name)));
  } catch (error) {
    console.error(`cannot load ${packages.join(' or ')} (${error.message}); run \`${compile}\` first`);
    process.exit(2);
  }
}
