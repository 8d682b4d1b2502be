#!/bin/sh
# Starts the shipped kamailio.cfg against compose.yaml's PostgreSQL (DBURL), with regshield's JSON-RPC
# pushes accepted from the compose network only (RPC_ALLOW). Kamailio drops root once its sockets are open.
set -eu
# Kamailio's own subscriber table (safe to run again); add subscribers as deploy/kamailio/README.md says.
psql "$DBURL" --quiet --set ON_ERROR_STOP=1 --file /etc/kamailio/subscriber.sql
exec kamailio -f /etc/kamailio/regshield.cfg -DD -E -u kamailio -g kamailio \
  -A 'LISTEN=udp:0.0.0.0:5060' \
  -A "DBURL=\"$DBURL\"" \
  -A "SQLCON=\"rs=>$DBURL\"" \
  -A "SIP_DOMAINS=\"$SIP_DOMAINS\"" \
  -A 'RPC_ADDR=0.0.0.0' \
  -A "RPC_ALLOW=\"$RPC_ALLOW\""
