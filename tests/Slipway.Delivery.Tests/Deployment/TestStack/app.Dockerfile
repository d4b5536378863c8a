# A tiny stand-in for the API: nginx answering the health endpoints with a fixed version.
ARG BASE
FROM ${BASE}
COPY app.conf /etc/app/app.conf
STOPSIGNAL SIGQUIT
CMD ["nginx", "-c", "/etc/app/app.conf", "-g", "daemon off;"]
