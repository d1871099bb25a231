-- The seed's catalogue table. Run by the local stack's bootstrap and by MySQL's entrypoint in compose.yaml.
-- The (last_updated, id) index serves the backfill's keyset pagination.
CREATE TABLE IF NOT EXISTS product (
  id           INT PRIMARY KEY,
  name         VARCHAR(255),
  category     VARCHAR(255),
  price        FLOAT,
  last_updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY idx_product_last_updated (last_updated, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
