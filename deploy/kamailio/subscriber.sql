-- Kamailio's `subscriber` table (auth_db), as in kamailio-postgres-modules'
-- /usr/share/kamailio/postgres/auth_db-create.sql, made idempotent and without the `version` row
-- (kamailio.cfg sets auth_db version_table=0). regshield's migrations do not create it.
--
-- Run it after regshield's first start, then add each SIP account. kamailio.cfg reads the plaintext
-- `password` column (auth_db calculate_ha1), and `domain` is one of its SIP_DOMAINS, in lower case:
--
--   INSERT INTO subscriber (username, domain, password) VALUES ('1000', 'voip.example.com', 'a-long-random-secret');
--
-- deploy/kamailio/README.md, "Setting it up, in order", has every step.
CREATE TABLE IF NOT EXISTS subscriber (
    id SERIAL PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX IF NOT EXISTS subscriber_username_idx ON subscriber (username);
