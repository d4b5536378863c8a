#!/bin/sh
# Container health check for the nginx image: GET /nginx-health on the plain-HTTP listener.
# Upstream's nginx:alpine has busybox wget; a Debian-based nginx has bash but no wget or curl.
url_path=/nginx-health
port=8080
if command -v wget >/dev/null 2>&1; then
  exec wget -q -O /dev/null "http://127.0.0.1:$port$url_path"
fi
exec bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf 'GET $url_path HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"
