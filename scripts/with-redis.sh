#!/usr/bin/env bash
# Runs a command with a throwaway redis-server on a free loopback port, exported as AIGW_TEST_REDIS_URL, and stops
# the server afterwards whatever the command's outcome.
set -euo pipefail
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
cleanup() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null
export AIGW_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "redis-server on $AIGW_TEST_REDIS_URL"
"$@"
