#!/usr/bin/env bash
# Restart the replicas one at a time (after an upgrade): each must answer /healthz again
# before the next stops, so the proxy always has one to send questions to.
#   deploy/rolling-restart.sh 8001 8002
set -euo pipefail
ports=("${@:-8001 8002}")
for port in ${ports[@]}; do
    echo "restarting cds-bot@${port}"
    systemctl restart "cds-bot@${port}"
    for _ in $(seq 1 60); do
        if curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1; then
            break
        fi
        sleep 1
    done
    curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null || {
        echo "cds-bot@${port} is not healthy after 60 s: stopping here" >&2
        exit 1
    }
    sleep 3  # two health checks of the proxy: it sends to this replica again
done
echo "all replicas restarted"
