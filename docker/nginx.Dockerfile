# The Slipway edge proxy: nginx with our configuration and the landing page baked in.
# Build context: the nginx/ folder (docker build -f docker/nginx.Dockerfile nginx). Certificates are
# not part of the image: mount them at /etc/nginx/certs (server.crt, server.key).
# NGINX_BASE is pinned in docker/base-images.json; pass the mirror's reference to swap registries.
ARG NGINX_BASE=nginx:1.25-alpine
FROM ${NGINX_BASE}

# Only named files: nginx/certs/ (local keys) must never reach the image.
COPY nginx.conf /etc/nginx/nginx.conf
COPY snippets/ /etc/nginx/snippets/
COPY sites/ /etc/nginx/sites/
COPY landing/ /etc/nginx/landing/
# Owned by nginx's user: the blue-green deploy rewrites upstreams/api.conf (a volume in compose).
COPY --chown=101:101 upstreams/ /etc/nginx/upstreams/
COPY healthcheck.sh /usr/local/bin/nginx-healthcheck
# A deploy hands each release's configuration to the running nginx under releases/ (a volume) and points
# releases/current at it; a new volume starts from the image's own configuration.
RUN mkdir /etc/nginx/releases && ln -s /etc/nginx /etc/nginx/releases/current

USER 101:101
EXPOSE 8080 8443
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/nginx-healthcheck"]
# Not the base image's entrypoint: upstream's rewrites files under /etc/nginx, and our root is read-only.
ENTRYPOINT ["nginx"]
CMD ["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;"]
