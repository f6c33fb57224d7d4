import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

/**
 * An npm registry on 127.0.0.1 serving the project's runtime dependencies from its own
 * node_modules, so a test can `npm install` the packed tarball the way a user would (npm resolving
 * every dependency range) without the network: the packages are the ones package-lock.json names
 * outside devDependencies, each packed from its installed folder with `tar`. Installed folders may
 * hold a native build (better-sqlite3's), which is served as it is: install with --ignore-scripts.
 */
export interface LocalRegistry {
  readonly url: string;
  close(): Promise<void>;
}

interface Version {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** The runtime packages package-lock.json installed, each with its folder. */
function runtimePackages(root: string): Version[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean }> };
  const found: Version[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true || entry.version === undefined) continue;
    const dir = join(root, path);
    // An optional package for another platform is in the lock but not on disk.
    if (!existsSync(join(dir, 'package.json'))) continue;
    found.push({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version, dir });
  }
  return found;
}

export async function startLocalRegistry(root: string, work: string): Promise<LocalRegistry> {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs, { recursive: true });
  const packuments = new Map<string, { versions: Record<string, unknown>; latest: string }>();
  const files = new Map<string, string>();
  let server: Server | undefined;
  const base = await new Promise<string>((resolve) => {
    server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
      const file = files.get(path);
      if (file !== undefined) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(file));
        return;
      }
      const doc = packuments.get(path);
      if (doc === undefined) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name: path, 'dist-tags': { latest: doc.latest }, versions: doc.versions }));
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server!.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`);
    });
  });
  for (const pkg of runtimePackages(root)) {
    const key = `tarballs/${pkg.name.replace('/', '__')}-${pkg.version}.tgz`;
    const out = join(work, key);
    // Build intermediates and nested packages (served on their own) stay out.
    execFileSync('tar', ['-czf', out, '-C', pkg.dir, '--exclude=./node_modules', '--exclude=./build/Release/obj', '--exclude=./build/Release/obj.target', '--exclude=./build/Release/.deps', '--exclude=*.a', '--transform=s,^\\.,package,', '.']);
    files.set(key, out);
    const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const doc = packuments.get(pkg.name) ?? { versions: {}, latest: pkg.version };
    doc.versions[pkg.version] = { ...manifest, name: pkg.name, version: pkg.version, dist: { tarball: `${base}${key}` } };
    packuments.set(pkg.name, doc);
  }
  return {
    url: base,
    close: () => new Promise<void>((resolve) => server!.close(() => resolve())),
  };
}
