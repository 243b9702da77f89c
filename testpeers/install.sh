#!/usr/bin/env bash
# Installs the test peers' npm dependencies (panva's oidc-provider v9 and v6) from their lock
# files. Runs `npm ci` in a peer's folder when its node_modules is missing or older than its
# package-lock.json; otherwise does nothing. Fails, loudly, when node or npm is missing: the
# end-to-end tests need them and must never be skipped for want of them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() {
	echo "testpeers/install.sh: $*" >&2
	exit 1
}

command -v node >/dev/null 2>&1 ||
	fail "node is not installed (Node.js 20 or later is needed by the end-to-end tests' OpenID Providers; e.g. apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 ||
	fail "npm is not installed (needed to install the end-to-end tests' OpenID Providers; e.g. apt-get install npm)"

major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || fail "node $(node --version) is too old: Node.js 20 or later is needed"

for peer in oidc-provider oidc-provider-v6; do
	dir="$here/$peer"
	[ -f "$dir/package-lock.json" ] || fail "$dir/package-lock.json is missing"
	# A stamp written after a successful install: node_modules' own mtime does not change when
	# npm ci rewrites files deep inside it.
	stamp="$dir/node_modules/.exeunt-installed"
	if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ] && [ ! "$dir/package.json" -nt "$stamp" ]; then
		continue
	fi
	echo "testpeers: npm ci in testpeers/$peer" >&2
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
		fail "npm ci failed in $dir"
	touch "$stamp"
done
