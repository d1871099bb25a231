-- compose.yaml only (containers connect from other hosts, hence '%'); the local stack creates the same
-- accounts bound to 127.0.0.1 in scripts/stack/lib.sh (stack_bootstrap_sql). Passwords equal the application's defaults.
-- The pipeline reads the binlog and the table, nothing more.
CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc-local';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'cdc'@'%';
GRANT SELECT ON shop.product TO 'cdc'@'%';
-- The shop's own account, used by the data generator.
CREATE USER IF NOT EXISTS 'shop_admin'@'%' IDENTIFIED BY 'shop-admin-local';
GRANT ALL PRIVILEGES ON *.* TO 'shop_admin'@'%';
