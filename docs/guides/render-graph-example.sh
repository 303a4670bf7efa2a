#!/bin/sh
# Renders the example pictures in docs/guides/images/ from the DOT output of `kcx graph` that the
# end-to-end tests keep in Tests/EndToEndTests/Golden/graph-seed-patterns.txt (needs Graphviz's dot).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
golden="$root/Tests/EndToEndTests/Golden/graph-seed-patterns.txt"
for pattern in microservices delegated-access; do
    # The section between "=== PATTERN (dot)" and the next "===" header.
    awk -v header="=== $pattern (dot)" '$0 == header { on = 1; next } /^=== / { on = 0 } on' "$golden" \
        | dot -Tpng -o "$root/docs/guides/images/graph-$pattern.png"
    echo "wrote docs/guides/images/graph-$pattern.png"
done
