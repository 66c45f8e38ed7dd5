-- Vacuum and analyze the outbox like the queue it is.
--
-- Every event is updated two or three times (leased, published, projected),
-- and each update leaves a dead entry in the small partial index the relay
-- walks (`outbox_unpublished`). PostgreSQL's defaults wait for 20% of the
-- table to be dead (200,000 rows of a 1M-event outbox) before vacuuming, and
-- for 10% changed before refreshing statistics; until then every claim steps
-- over the dead entries of the drained head of the queue. A fixed threshold
-- keeps that head short whatever the retention makes the table's size.

ALTER TABLE outbox_events SET (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 20000
);
