#!/bin/sh
# Let's Encrypt renewal -> chatd, without a restart (docs/DEPLOY.md, "TLS with Let's Encrypt").
# Install as /etc/letsencrypt/renewal-hooks/deploy/chatd (mode 0755); certbot runs it after each
# renewal with RENEWED_LINEAGE=/etc/letsencrypt/live/NAME. It copies the new chain and key where
# the service can read them (group chatd-config, see chatd.service), then SIGHUP: new connections
# get the new certificate, open ones are not dropped.
set -eu
dir=/etc/chatd/tls
install -d -m 0750 -g chatd-config "$dir"
# Both files are written before the reload; chatd refuses a pair that does not match, keeping the old one.
install -m 0640 -g chatd-config "$RENEWED_LINEAGE/fullchain.pem" "$dir/fullchain.pem.new"
install -m 0640 -g chatd-config "$RENEWED_LINEAGE/privkey.pem" "$dir/privkey.pem.new"
mv "$dir/fullchain.pem.new" "$dir/fullchain.pem"
mv "$dir/privkey.pem.new" "$dir/privkey.pem"
systemctl reload chatd
