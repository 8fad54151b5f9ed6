#!/usr/bin/env bash
# Runs nginx in the foreground with tools/nginx/streamkeeper.conf as it is, for the test and the
# benchmark: a copy of the conf with only its addresses and paths changed (listen on
# 127.0.0.1:LISTEN_PORT, origin 127.0.0.1:ORIGIN_PORT, cache and access log in DIR), included by a
# minimal nginx.conf (the part a distribution ships) that keeps pid, error log and temp files in
# DIR too. Touches no system nginx, its files or its service.
#
#   tools/nginx/local-nginx.sh DIR LISTEN_PORT ORIGIN_PORT
#
# Prints "listening on http://127.0.0.1:LISTEN_PORT " once nginx accepts connections. Stops nginx
# and exits on SIGTERM or SIGINT, and also when the process that started this script is gone, so a
# test killed by a timeout leaves no nginx behind. Exits 2 if the conf no longer has exactly one of
# each line it edits (the caller would otherwise test something other than the conf).
#
# Environment: NGINX (the binary; default nginx on PATH, else /usr/sbin/nginx), NGINX_WORKERS
# (worker_processes, default 2), NGINX_WORKER_CONNECTIONS (default 1024), NGINX_NOFILE
# (worker_rlimit_nofile, default unset).
set -euo pipefail

die() { echo "local-nginx: $*" >&2; exit 2; }

[[ $# -eq 3 ]] || die "usage: $0 DIR LISTEN_PORT ORIGIN_PORT"
dir=$1 port=$2 origin=$3
[[ -d "$dir" ]] || die "$dir is not a directory"
[[ "$port" =~ ^[0-9]+$ && "$origin" =~ ^[0-9]+$ ]] || die "ports must be numbers"
dir=$(cd "$dir" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
conf=$here/streamkeeper.conf
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x "$nginx" ]] || die "nginx not found (tools/setup.sh installs it)"
parent=$PPID

# Each edited line must occur exactly once.
edit() {  # edit FROM TO: the literal line fragment FROM becomes TO
  local count
  count=$(grep -cF -- "$1" "$dir/streamkeeper.conf" || true)
  [[ "$count" -eq 1 ]] || die "expected one '$1' in $conf, found $count"
  FROM=$1 TO=$2 perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$dir/streamkeeper.conf"
}
cp "$conf" "$dir/streamkeeper.conf"
edit "server 127.0.0.1:4437;" "server 127.0.0.1:$origin;"
edit "listen 80;" "listen 127.0.0.1:$port;"
edit "/var/cache/nginx/streamkeeper " "$dir/cache "
edit "/var/log/nginx/streamkeeper.access.log" "$dir/access.log"

mkdir -p "$dir/tmp"
# Started as root, nginx would run its workers as nobody, who cannot enter the caller's private
# temporary directory: they run as the caller instead (a non-root nginx cannot switch anyway).
user_line=
[[ $(id -u) -eq 0 ]] && user_line="user root;"
nofile_line=
[[ -n "${NGINX_NOFILE:-}" ]] && nofile_line="worker_rlimit_nofile ${NGINX_NOFILE};"
cat >"$dir/nginx.conf" <<EOF
# Written by tools/nginx/local-nginx.sh: what a distribution's nginx.conf provides.
daemon off;
${user_line}
worker_processes ${NGINX_WORKERS:-2};
${nofile_line}
pid $dir/nginx.pid;
lock_file $dir/nginx.lock;
error_log $dir/error.log warn;
events {
    worker_connections ${NGINX_WORKER_CONNECTIONS:-1024};
}
http {
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    access_log off;
    include $dir/streamkeeper.conf;
}
EOF

"$nginx" -t -q -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" ||
  die "nginx rejects the configuration (see above)"
"$nginx" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" &
nginx_pid=$!

stop() {
  trap - TERM INT
  kill -TERM "$nginx_pid" 2>/dev/null || true  # fast shutdown; the master reaps its workers
  wait "$nginx_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT

until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" || true; cat "$dir/error.log" >&2; die "nginx exited"; }
  sleep 0.05
done
echo "listening on http://127.0.0.1:$port (nginx pid $nginx_pid, files in $dir)"

# Watch both nginx and whoever started us; "wait" on a short sleep keeps the traps responsive.
while kill -0 "$nginx_pid" 2>/dev/null && kill -0 "$parent" 2>/dev/null; do
  sleep 0.5 &
  wait $! || true
done
kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" && rc=0 || rc=$?; exit "$rc"; }
stop
