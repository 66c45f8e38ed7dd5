-- Gap-safe positions: the writing transaction of each event.
--
-- `xid` is set by its default, pg_current_xact_id(); the relay claims only
-- events below pg_snapshot_xmin(pg_current_snapshot()) (outbox/store.py), and
-- the capture triggers look up "does this transaction already have an event
-- of this aggregate" through the index.

ALTER TABLE outbox_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX outbox_xid_aggregate ON outbox_events (xid, aggregate_type, aggregate_id);
